//! dptree building blocks that pick updates apart, in the spirit of
//! teloxide's `Update::filter_message()`.
//!
//! Each `filter_*` passes the update on only when it matches and injects
//! the matched part, so endpoints can ask for it by type:
//!
//! ```
//! use wechat_mp::{HandlerResult, Reply, Update, UpdateHandler};
//! use wechat_mp::update::Text;
//!
//! fn handler() -> UpdateHandler {
//!     dptree::entry().branch(Update::filter_text().endpoint(|text: Text| async move {
//!         HandlerResult::Ok(Reply::text(text.content))
//!     }))
//! }
//! ```

use dptree::Handler;

use crate::update::{
    Event, File, Image, Link, Location, Message, MessageKind, Text, Update, Video, Voice,
};

macro_rules! message_filter {
    ($(#[$doc:meta])* $name:ident, $variant:ident, $ty:ty) => {
        $(#[$doc])*
        #[must_use]
        #[track_caller]
        pub fn $name<Out: Send + Sync + 'static>() -> Handler<'static, Out> {
            dptree::filter_map(|update: Update| match update.kind {
                crate::update::UpdateKind::Message(Message { kind: MessageKind::$variant(inner), .. }) => {
                    Some::<$ty>(inner)
                }
                _ => None,
            })
        }
    };
}

impl Update {
    /// Passes user messages on and injects the [`Message`].
    #[must_use]
    #[track_caller]
    pub fn filter_message<Out: Send + Sync + 'static>() -> Handler<'static, Out> {
        dptree::filter_map(|update: Update| update.message().cloned())
    }

    /// Passes events on and injects the [`Event`]; route further with
    /// `dptree::filter_map` or `dptree::case!`.
    #[must_use]
    #[track_caller]
    pub fn filter_event<Out: Send + Sync + 'static>() -> Handler<'static, Out> {
        dptree::filter_map(|update: Update| update.event().cloned())
    }

    message_filter!(
        /// Passes text messages on and injects the [`Text`].
        filter_text, Text, Text
    );
    message_filter!(
        /// Passes image messages on and injects the [`Image`].
        filter_image, Image, Image
    );
    message_filter!(
        /// Passes voice messages on and injects the [`Voice`].
        filter_voice, Voice, Voice
    );
    message_filter!(
        /// Passes video messages on and injects the [`Video`].
        filter_video, Video, Video
    );
    message_filter!(
        /// Passes location messages on and injects the [`Location`].
        filter_location, Location, Location
    );
    message_filter!(
        /// Passes link messages on and injects the [`Link`].
        filter_link, Link, Link
    );
    message_filter!(
        /// Passes file messages on and injects the [`File`].
        filter_file, File, File
    );

    /// Passes follow events on.
    #[must_use]
    #[track_caller]
    pub fn filter_subscribe<Out: Send + Sync + 'static>() -> Handler<'static, Out> {
        dptree::filter(|update: Update| matches!(update.event(), Some(Event::Subscribe { .. })))
    }

    /// Passes menu clicks on and injects the button key as a [`MenuKey`].
    #[must_use]
    #[track_caller]
    pub fn filter_click<Out: Send + Sync + 'static>() -> Handler<'static, Out> {
        dptree::filter_map(|update: Update| match update.event() {
            Some(Event::Click { key }) => Some(MenuKey(key.clone())),
            _ => None,
        })
    }
}

/// The key of a clicked menu button.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MenuKey(pub String);
