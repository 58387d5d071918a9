//! The demo data set (`demo/*.toml`, sample data): loaded into the built-in service on
//! first start so every transaction can be tried out of the box. The files are compiled in
//! so the binary runs from any directory.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::builtin::{Effect, Holder, NewRow, Written};
use super::{
    Account, AccountNo, AccountStatus, Bill, BuiltinService, Fen, Hall, IdempotencyKey, Payment,
    RequestKind, RequestStatus, TimelineEvent,
};

const ACCOUNTS: &str = include_str!("../../demo/accounts.toml");
const HALLS: &str = include_str!("../../demo/halls.toml");

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo data file: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("loading demo data: {0}")]
    Database(#[from] sqlx::Error),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoAccount {
    pub no: AccountNo,
    pub holder: String,
    pub phone: String,
    pub district: String,
    pub estate: String,
    pub address: String,
    pub area_m2: f64,
    pub status: AccountStatus,
    /// What the account is good for trying.
    pub purpose: String,
    #[serde(default)]
    pub bills: Vec<DemoBill>,
    #[serde(default)]
    pub payments: Vec<DemoPayment>,
    #[serde(default)]
    pub requests: Vec<DemoRequest>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoBill {
    pub season: String,
    pub amount_fen: i64,
    pub paid_fen: i64,
    pub due: chrono::NaiveDate,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoPayment {
    pub at: DateTime<Utc>,
    pub amount_fen: i64,
    pub channel: String,
    pub season: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoRequest {
    pub key: IdempotencyKey,
    pub kind: RequestKind,
    pub status: RequestStatus,
    #[serde(default)]
    pub urgent: bool,
    pub created_at: DateTime<Utc>,
    pub details: serde_json::Value,
    pub timeline: Vec<TimelineEvent>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoData {
    pub accounts: Vec<DemoAccount>,
    #[serde(default)]
    pub halls: Vec<Hall>,
}

/// The shipped sample data set.
pub fn sample() -> Result<DemoData, DemoError> {
    let mut data: DemoData = toml::from_str(ACCOUNTS)?;
    #[derive(Deserialize)]
    struct Halls {
        halls: Vec<Hall>,
    }
    let halls: Halls = toml::from_str(HALLS)?;
    data.halls = halls.halls;
    Ok(data)
}

impl DemoAccount {
    fn holder(&self) -> Holder {
        Holder {
            account: Account {
                no: self.no.clone(),
                holder_masked: super::builtin::mask_name(&self.holder),
                address: self.address.clone(),
                district: self.district.clone(),
                estate: self.estate.clone(),
                area_m2: self.area_m2,
                status: self.status,
            },
            name: self.holder.clone(),
            phone: self.phone.clone(),
        }
    }
}

/// Loads the sample data when the service has no accounts yet; `true` when it did.
pub async fn load_if_empty(svc: &BuiltinService) -> Result<bool, DemoError> {
    let repo = svc.repo();
    if repo.count_accounts().await? > 0 {
        return Ok(false);
    }
    let data = sample()?;
    for hall in &data.halls {
        repo.insert_hall(hall).await?;
    }
    for a in &data.accounts {
        repo.insert_account(&a.holder()).await?;
        for b in &a.bills {
            let bill = Bill {
                season: b.season.clone(),
                amount: Fen(b.amount_fen),
                paid: Fen(b.paid_fen),
                due: b.due,
            };
            repo.insert_bill(&a.no, &bill).await?;
        }
        for p in &a.payments {
            let payment = Payment {
                at: p.at,
                amount: Fen(p.amount_fen),
                channel: p.channel.clone(),
                season: p.season.clone(),
            };
            repo.insert_payment(&a.no, &payment).await?;
        }
        for r in &a.requests {
            let row = NewRow {
                account: a.no.clone(),
                kind: r.kind,
                status: r.status,
                urgent: r.urgent,
                created_at: r.created_at,
                details: r.details.clone(),
                timeline: r.timeline.clone(),
                effect: Effect::default(),
            };
            if let Written::Conflict = repo.insert_request(&r.key, "demo", row).await? {
                tracing::warn!(account = %a.no.masked(), "demo request not loaded");
            }
        }
    }
    tracing::info!(
        accounts = data.accounts.len(),
        "demo data loaded (sample data)"
    );
    Ok(true)
}
