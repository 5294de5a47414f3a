// Timing helpers shared by components.

/** Returns `fn` delayed until `ms` have passed without another call; `.cancel()` drops a pending call. */
export function debounce(fn, ms) {
  let timer = 0;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}
