//! Custom menu.

use serde::{Deserialize, Serialize};

use super::{Ack, Bot, Payload, RequestError};

/// A custom menu: up to three buttons, each with up to five sub-buttons.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Menu {
    /// Top-level buttons.
    pub button: Vec<Button>,
}

/// A menu button. Use the constructors for the common kinds; the remaining
/// fields serve the other documented types.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Button {
    /// `click`, `view`, `miniprogram`, `scancode_push`, …; absent on parents.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Label.
    pub name: String,
    /// Event key of click-like buttons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Link of view and mini-program buttons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Media of media_id buttons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    /// Mini-program AppID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// Mini-program page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
    /// Published article id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub article_id: Option<String>,
    /// Children of a parent button.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sub_button: Vec<Button>,
}

impl Button {
    /// A button that pushes a CLICK event with `key`.
    pub fn click(name: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            kind: Some("click".into()),
            name: name.into(),
            key: Some(key.into()),
            ..Self::default()
        }
    }

    /// A button that opens `url`.
    pub fn view(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            kind: Some("view".into()),
            name: name.into(),
            url: Some(url.into()),
            ..Self::default()
        }
    }

    /// A parent button holding sub-buttons.
    pub fn parent(name: impl Into<String>, children: Vec<Button>) -> Self {
        Self {
            name: name.into(),
            sub_button: children,
            ..Self::default()
        }
    }
}

/// The installed menus.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct MenuInfo {
    /// The default menu.
    pub menu: Menu,
    /// Personalised menus, as sent.
    pub conditionalmenu: Option<serde_json::Value>,
}

impl Payload for Menu {
    type Output = Ack;
    const PATH: &'static str = "/cgi-bin/menu/create";
    const METHOD: http::Method = http::Method::POST;
}

#[derive(Serialize)]
struct MenuGet {}

impl Payload for MenuGet {
    type Output = MenuInfo;
    const PATH: &'static str = "/cgi-bin/menu/get";
    const METHOD: http::Method = http::Method::GET;
}

#[derive(Serialize)]
struct MenuDelete {}

impl Payload for MenuDelete {
    type Output = Ack;
    const PATH: &'static str = "/cgi-bin/menu/delete";
    const METHOD: http::Method = http::Method::GET;
}

impl Bot {
    /// Installs `menu`, replacing the current one.
    pub async fn create_menu(&self, menu: &Menu) -> Result<(), RequestError> {
        self.execute(menu).await.map(|_| ())
    }

    /// The installed menu.
    pub async fn menu(&self) -> Result<MenuInfo, RequestError> {
        self.execute(&MenuGet {}).await
    }

    /// Removes all menus.
    pub async fn delete_menu(&self) -> Result<(), RequestError> {
        self.execute(&MenuDelete {}).await.map(|_| ())
    }
}
