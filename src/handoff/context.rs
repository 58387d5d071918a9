//! Everything an agent needs beside the transcript: what the bot understood, the slots it
//! collected, and the live state of the resident's accounts.

use super::Handoffs;
use crate::service::{Account, AccountNo, Bill, Fen, ServiceError, ServiceRequest};

use super::store::Handoff;

/// One account as the agent sees it, read from the service API when the page is drawn.
#[derive(Debug, Clone)]
pub struct AccountState {
    pub no: AccountNo,
    pub account: Result<Account, ServiceError>,
    pub outstanding: Option<Fen>,
    pub bills: Vec<Bill>,
    pub open_requests: Vec<ServiceRequest>,
}

/// Accounts bound to the resident, then any the form was acting on.
impl Handoffs {
    pub async fn accounts(&self, handoff: &Handoff) -> Vec<AccountState> {
        let mut nos: Vec<AccountNo> = self
            .conversations
            .bindings(&handoff.user)
            .await
            .map(|b| b.into_iter().map(|b| b.account).collect())
            .unwrap_or_default();
        for raw in &handoff.snapshot.accounts {
            if let Ok(no) = AccountNo::parse(raw.clone()) {
                if !nos.contains(&no) {
                    nos.push(no);
                }
            }
        }
        let mut out = Vec::with_capacity(nos.len());
        for no in nos {
            out.push(self.account_state(no).await);
        }
        out
    }

    pub async fn account_state(&self, no: AccountNo) -> AccountState {
        let account = self.service.account(&no).await;
        let (bills, outstanding) = match self.service.bills(&no).await {
            Ok(bills) => {
                let total = bills.iter().map(|b| b.outstanding().0).sum();
                (bills, Some(Fen(total)))
            }
            Err(_) => (Vec::new(), None),
        };
        let open_requests = self
            .service
            .requests(&no)
            .await
            .map(|rs| rs.into_iter().filter(|r| r.status.is_open()).collect())
            .unwrap_or_default();
        AccountState {
            no,
            account,
            outstanding,
            bills,
            open_requests,
        }
    }
}
