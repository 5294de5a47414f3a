fn main() {
    // The Tauri config lives at the repository root, beside ui/ and icons/.
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri-build failed: check tauri.conf.json and src-tauri/capabilities");
}
