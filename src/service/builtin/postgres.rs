//! The built-in service on PostgreSQL. Details are JSONB, read back as text.

impl_repo!(
    PgRepo,
    sqlx::Postgres,
    sqlx::PgPool,
    sqlx::postgres::PgRow,
    Sql {
        account: "SELECT no, holder_name, phone, address, district, estate, area_m2, status \
                  FROM accounts WHERE no = $1",
        bills: "SELECT season, amount_fen, paid_fen, due FROM bills \
                WHERE account_no = $1 ORDER BY season DESC",
        payments: "SELECT at, amount_fen, channel, season FROM payments \
                   WHERE account_no = $1 ORDER BY at DESC, id DESC",
        requests_of: "SELECT id, account_no, kind, status, urgent, created_at, \
                      details::text AS details \
                      FROM requests WHERE account_no = $1 ORDER BY created_at DESC, id DESC",
        request: "SELECT id, account_no, kind, status, urgent, created_at, \
                  details::text AS details FROM requests WHERE id = $1",
        events_of_account: "SELECT e.request_id, e.at, e.status, e.note FROM request_events e \
                            JOIN requests r ON r.id = e.request_id \
                            WHERE r.account_no = $1 ORDER BY e.seq",
        events_of_request: "SELECT request_id, at, status, note FROM request_events \
                            WHERE request_id = $1 ORDER BY seq",
        halls: "SELECT id, name, district, address, phone, hours, lat, lon FROM halls ORDER BY id",
        work_orders: "SELECT r.id, r.account_no, r.kind, r.status, r.urgent, r.created_at, \
                      r.details::text AS details, a.holder_name, a.address, a.district, \
                      a.estate \
                      FROM requests r JOIN accounts a ON a.no = r.account_no \
                      WHERE r.kind IN (SELECT jsonb_array_elements_text($1::jsonb)) \
                      AND r.status NOT IN (SELECT jsonb_array_elements_text($2::jsonb)) \
                      AND ($3::text IS NULL OR a.district = $3) \
                      ORDER BY r.urgent DESC, r.created_at, r.id",
        events_of_requests: "SELECT request_id, at, status, note FROM request_events \
                             WHERE request_id IN (SELECT jsonb_array_elements_text($1::jsonb)) \
                             ORDER BY seq",
        replay: "SELECT fingerprint, response FROM idempotency_keys WHERE idem_key = $1",
        claim: "INSERT INTO idempotency_keys (idem_key, fingerprint, response, created_at) \
                VALUES ($1, $2, $3, $4) ON CONFLICT (idem_key) DO NOTHING",
        set_response: "UPDATE idempotency_keys SET response = $1 WHERE idem_key = $2",
        next_seq: "INSERT INTO request_seq (day, n) VALUES ($1, 1) \
                   ON CONFLICT (day) DO UPDATE SET n = request_seq.n + 1 RETURNING n",
        insert_request: "INSERT INTO requests \
                         (id, account_no, kind, status, urgent, created_at, details, idem_key) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)",
        insert_event: "INSERT INTO request_events (request_id, at, status, note) \
                       VALUES ($1, $2, $3, $4)",
        update_status: "UPDATE requests SET status = $1 WHERE id = $2 AND status = $3",
        set_account_status: "UPDATE accounts SET status = $1 WHERE no = $2",
        set_account_area: "UPDATE accounts SET area_m2 = $1 WHERE no = $2",
        count_accounts: "SELECT COUNT(*) AS n FROM accounts",
        insert_account: "INSERT INTO accounts \
                         (no, holder_name, phone, address, district, estate, area_m2, status) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        insert_bill: "INSERT INTO bills (account_no, season, amount_fen, paid_fen, due) \
                      VALUES ($1, $2, $3, $4, $5)",
        insert_payment: "INSERT INTO payments (account_no, at, amount_fen, channel, season) \
                         VALUES ($1, $2, $3, $4, $5)",
        insert_hall: "INSERT INTO halls (id, name, district, address, phone, hours, lat, lon) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    }
);
