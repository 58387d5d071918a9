//! Work at the heating stations: which requests are done on site, and which step a station
//! may mark next. The office's steps (payment, work order, review, refusal) are not theirs.

use super::builtin::allowed;
use super::{RequestKind, RequestStatus};

/// The kinds of request a station does on site: valves, repairs, inspections, leaks.
pub const STATION_KINDS: [RequestKind; 5] = [
    RequestKind::Suspension,
    RequestKind::Resumption,
    RequestKind::Repair,
    RequestKind::Inspection,
    RequestKind::Leak,
];

impl RequestKind {
    pub fn is_station_work(self) -> bool {
        STATION_KINDS.contains(&self)
    }
}

/// The marks a station makes on a request of `kind`, in order.
fn station_path(kind: RequestKind) -> &'static [RequestStatus] {
    use RequestStatus::*;
    match kind {
        RequestKind::Suspension => &[ValveClosed, Completed],
        RequestKind::Resumption => &[ValveOpened, Completed],
        RequestKind::Repair | RequestKind::Inspection | RequestKind::Leak => {
            &[InProgress, Completed]
        }
        RequestKind::AreaChange | RequestKind::Invoice => &[],
    }
}

/// The statuses a station may mark next on a request of `kind` standing at `status`.
///
/// A station does its own steps in order (the valve before "completed", work started
/// before it is done), and only where the service's transitions allow it, so a step shown
/// here is never refused as a transition: a resumption gets its valve opened once the
/// office has issued the work order, not while payment is awaited.
pub fn station_steps(kind: RequestKind, status: RequestStatus) -> Vec<RequestStatus> {
    let path = station_path(kind);
    let next = match path.iter().position(|s| *s == status) {
        Some(done) => path.get(done + 1),
        None => path.first(),
    };
    next.copied()
        .filter(|&to| status.is_open() && allowed(kind, status, to))
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use RequestKind as K;
    use RequestStatus::*;

    const ALL_KINDS: [RequestKind; 7] = [
        K::Suspension,
        K::Resumption,
        K::Repair,
        K::Inspection,
        K::Leak,
        K::AreaChange,
        K::Invoice,
    ];
    const ALL_STATUSES: [RequestStatus; 11] = [
        Submitted,
        AwaitingPayment,
        Paid,
        UnderReview,
        WorkOrderIssued,
        InProgress,
        ValveClosed,
        ValveOpened,
        Completed,
        Rejected,
        Cancelled,
    ];

    #[test]
    fn a_suspension_closes_the_valve_then_completes() {
        assert_eq!(station_steps(K::Suspension, Submitted), [ValveClosed]);
        assert_eq!(station_steps(K::Suspension, ValveClosed), [Completed]);
        assert!(station_steps(K::Suspension, Completed).is_empty());
    }

    #[test]
    fn a_resumption_opens_the_valve_once_the_work_order_is_issued() {
        for waiting in [Submitted, AwaitingPayment, Paid] {
            assert!(
                station_steps(K::Resumption, waiting).is_empty(),
                "{waiting:?} is the office's"
            );
        }
        assert_eq!(station_steps(K::Resumption, WorkOrderIssued), [ValveOpened]);
        assert_eq!(station_steps(K::Resumption, ValveOpened), [Completed]);
    }

    #[test]
    fn repairs_inspections_and_leaks_start_then_complete() {
        for kind in [K::Repair, K::Inspection, K::Leak] {
            assert_eq!(station_steps(kind, Submitted), [InProgress], "{kind:?}");
            assert_eq!(station_steps(kind, WorkOrderIssued), [InProgress]);
            assert_eq!(station_steps(kind, InProgress), [Completed]);
        }
    }

    #[test]
    fn office_work_and_closed_requests_have_no_station_steps() {
        for status in ALL_STATUSES {
            assert!(station_steps(K::AreaChange, status).is_empty());
            assert!(station_steps(K::Invoice, status).is_empty());
        }
        for kind in STATION_KINDS {
            for closed in RequestStatus::CLOSED {
                assert!(
                    station_steps(kind, closed).is_empty(),
                    "{kind:?} {closed:?}"
                );
            }
        }
    }

    #[test]
    fn every_station_step_is_a_transition_the_service_takes() {
        for kind in ALL_KINDS {
            assert_eq!(kind.is_station_work(), !station_path(kind).is_empty());
            for from in ALL_STATUSES {
                for to in station_steps(kind, from) {
                    assert!(allowed(kind, from, to), "{kind:?}: {from:?} -> {to:?}");
                }
            }
        }
    }
}
