//! The IPC commands (docs/ipc.md). Each calls one workspace function. All touch SQLite, so
//! all are `async`: Tauri runs them off the main thread and the window never freezes.

use roster_workspace::{
    AttributeView, Error, UserEditInput, UserInput, UserListQuery, UserPageView, UserView, WorkspaceInfo,
};
use tauri::State;

use crate::Desktop;

#[tauri::command(async)]
pub fn workspace_info(desktop: State<'_, Desktop>) -> Result<WorkspaceInfo, Error> {
    desktop.with(|ws| ws.info())
}

#[tauri::command(async)]
pub fn list_users(desktop: State<'_, Desktop>, query: UserListQuery) -> Result<UserPageView, Error> {
    desktop.with(|ws| ws.list_users(&query))
}

#[tauri::command(async)]
pub fn get_user(desktop: State<'_, Desktop>, username: String) -> Result<UserView, Error> {
    desktop.with(|ws| ws.get_user(&username))
}

#[tauri::command(async)]
pub fn add_user(desktop: State<'_, Desktop>, input: UserInput) -> Result<UserView, Error> {
    desktop.with(|ws| ws.add_user(input))
}

#[tauri::command(async)]
pub fn edit_user(desktop: State<'_, Desktop>, username: String, input: UserEditInput) -> Result<UserView, Error> {
    desktop.with(|ws| ws.edit_user(&username, input))
}

#[tauri::command(async)]
pub fn delete_user(desktop: State<'_, Desktop>, username: String) -> Result<(), Error> {
    desktop.with(|ws| ws.delete_user(&username)).map(|_| ())
}

#[tauri::command(async)]
pub fn list_attributes(desktop: State<'_, Desktop>) -> Result<Vec<AttributeView>, Error> {
    desktop.with(|ws| ws.list_attributes())
}
