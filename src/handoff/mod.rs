//! Handing a conversation to a person, and taking it back.
//!
//! The dialogue escalates (a reason, the intent, how sure it was); the settings decide
//! whether that opens a handoff and with which priority. A handoff waits in the queue
//! until an agent claims it; while an agent owns it the bot stays silent and the
//! resident's messages go to the agent's screen. Agents answer as WeChat customer-service
//! messages (`deliver`), inside the 48-hour window and the quota. Closing gives the
//! conversation back to the bot, which asks for a rating of 1 to 5.

mod events;
mod queue_view;
mod settings;
mod store;

pub mod context;
pub mod lifecycle;

pub use crate::transcript::{Snapshot, Understood};
pub use events::{DeskEvent, Events, Seen};
pub use lifecycle::{local, Handoffs, Window, NOTE};
pub use queue_view::{QueueViews, WORDS_LAG};
pub use settings::{HandoffSettings, OpeningHours};
pub use store::{
    store_for, Handoff, HandoffError, HandoffStats, HandoffStore, NewHandoff, Opened, QueueCard,
    QueueFilter, QueueView, Status, UNREAD_CAP,
};
