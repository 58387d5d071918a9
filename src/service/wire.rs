//! The contract's wire format: bodies and headers the HTTP client sends and the reference
//! server reads.

use serde::{Deserialize, Serialize};

use super::{AccountNo, RequestKind, RequestStatus};

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// `POST /requests`: the idempotency key travels in its header.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    pub account: AccountNo,
    pub kind: RequestKind,
    #[serde(default)]
    pub urgent: bool,
    #[serde(default)]
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    pub status: RequestStatus,
    #[serde(default)]
    pub note: Option<String>,
}

/// `GET /work-orders?district=…`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WorkOrderQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verified {
    pub verified: bool,
}
