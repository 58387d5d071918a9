//! The built-in service on SQLite. Times are RFC 3339 text, details JSON text.

impl_repo!(
    SqliteRepo,
    sqlx::Sqlite,
    sqlx::SqlitePool,
    sqlx::sqlite::SqliteRow,
    Sql {
        account: "SELECT no, holder_name, phone, address, district, estate, area_m2, status \
                  FROM accounts WHERE no = ?",
        bills: "SELECT season, amount_fen, paid_fen, due FROM bills \
                WHERE account_no = ? ORDER BY season DESC",
        payments: "SELECT at, amount_fen, channel, season FROM payments \
                   WHERE account_no = ? ORDER BY at DESC, id DESC",
        requests_of: "SELECT id, account_no, kind, status, urgent, created_at, details \
                      FROM requests WHERE account_no = ? ORDER BY created_at DESC, id DESC",
        request: "SELECT id, account_no, kind, status, urgent, created_at, details \
                  FROM requests WHERE id = ?",
        events_of_account: "SELECT e.request_id, e.at, e.status, e.note FROM request_events e \
                            JOIN requests r ON r.id = e.request_id \
                            WHERE r.account_no = ? ORDER BY e.seq",
        events_of_request: "SELECT request_id, at, status, note FROM request_events \
                            WHERE request_id = ? ORDER BY seq",
        halls: "SELECT id, name, district, address, phone, hours, lat, lon FROM halls ORDER BY id",
        work_orders: "SELECT r.id, r.account_no, r.kind, r.status, r.urgent, r.created_at, \
                      r.details, a.holder_name, a.address, a.district, a.estate \
                      FROM requests r JOIN accounts a ON a.no = r.account_no \
                      WHERE r.kind IN (SELECT value FROM json_each(?1)) \
                      AND r.status NOT IN (SELECT value FROM json_each(?2)) \
                      AND (?3 IS NULL OR a.district = ?3) \
                      ORDER BY r.urgent DESC, r.created_at, r.id",
        events_of_requests: "SELECT request_id, at, status, note FROM request_events \
                             WHERE request_id IN (SELECT value FROM json_each(?)) \
                             ORDER BY seq",
        replay: "SELECT fingerprint, response FROM idempotency_keys WHERE idem_key = ?",
        claim: "INSERT INTO idempotency_keys (idem_key, fingerprint, response, created_at) \
                VALUES (?, ?, ?, ?) ON CONFLICT (idem_key) DO NOTHING",
        set_response: "UPDATE idempotency_keys SET response = ? WHERE idem_key = ?",
        next_seq: "INSERT INTO request_seq (day, n) VALUES (?, 1) \
                   ON CONFLICT (day) DO UPDATE SET n = request_seq.n + 1 RETURNING n",
        insert_request: "INSERT INTO requests \
                         (id, account_no, kind, status, urgent, created_at, details, idem_key) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        insert_event: "INSERT INTO request_events (request_id, at, status, note) \
                       VALUES (?, ?, ?, ?)",
        update_status: "UPDATE requests SET status = ? WHERE id = ? AND status = ?",
        set_account_status: "UPDATE accounts SET status = ? WHERE no = ?",
        set_account_area: "UPDATE accounts SET area_m2 = ? WHERE no = ?",
        count_accounts: "SELECT COUNT(*) AS n FROM accounts",
        insert_account: "INSERT INTO accounts \
                         (no, holder_name, phone, address, district, estate, area_m2, status) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        insert_bill: "INSERT INTO bills (account_no, season, amount_fen, paid_fen, due) \
                      VALUES (?, ?, ?, ?, ?)",
        insert_payment: "INSERT INTO payments (account_no, at, amount_fen, channel, season) \
                         VALUES (?, ?, ?, ?, ?)",
        insert_hall: "INSERT INTO halls (id, name, district, address, phone, hours, lat, lon) \
                      VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    }
);
