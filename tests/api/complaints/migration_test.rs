//! Adding the manager role rebuilds `desk_users` on SQLite (a CHECK cannot be changed in
//! place): users, their sessions and the handoffs pointing at them come through.

use sqlx::Row;

use crate::helpers::repo;

#[tokio::test]
async fn the_role_check_is_widened_and_users_sessions_and_handoffs_survive_the_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    // This build's migrations before 0013, applied as an older heatdesk would have.
    let older = dir.path().join("older");
    std::fs::create_dir_all(&older).unwrap();
    for e in std::fs::read_dir(repo().join("migrations/sqlite")).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.as_str() < "0013" {
            std::fs::copy(e.path(), older.join(&name)).unwrap();
        }
    }
    let url = format!("sqlite://{}/old.db", dir.path().display());
    {
        let options = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&url)
            .unwrap()
            .create_if_missing(true)
            .foreign_keys(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::migrate::Migrator::new(older.as_path())
            .await
            .unwrap()
            .run(&pool)
            .await
            .unwrap();
        for sql in [
            "INSERT INTO desk_users (id, name, display_name, role, password_hash, created_at, \
             failed_logins) VALUES (7, 'li', 'Li', 'agent', 'x', '2026-01-01T00:00:00+00:00', 2)",
            "INSERT INTO desk_sessions (token_hash, user_id, csrf, created_at, expires_at) \
             VALUES ('t', 7, 'c', '2026-01-01T00:00:00+00:00', '2027-01-01T00:00:00+00:00')",
            "INSERT INTO handoffs (user_id, status, reason, priority, context, created_at, \
             claimed_by) VALUES ('o-1', 'claimed', 'requested', 0, '{}', \
             '2026-01-01T00:00:00+00:00', 7)",
        ] {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        let refused = sqlx::query(
            "INSERT INTO desk_users (name, display_name, role, password_hash, created_at) \
             VALUES ('boss', 'Boss', 'manager', 'x', '2026-01-01T00:00:00+00:00')",
        )
        .execute(&pool)
        .await;
        assert!(refused.is_err(), "no manager role before 0013");
        pool.close().await;
    }

    let db = heatdesk::storage::Database::open(&url).await.unwrap();
    assert!(db.schema().await.unwrap().is_current());
    let heatdesk::storage::Database::Sqlite(pool) = &db else {
        unreachable!()
    };
    let row = sqlx::query("SELECT name, role, failed_logins FROM desk_users WHERE id = 7")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("name"), "li");
    assert_eq!(row.get::<i64, _>("failed_logins"), 2);
    let joined: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM handoffs h JOIN desk_users u ON u.id = h.claimed_by \
         JOIN desk_sessions s ON s.user_id = u.id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(joined, 1);
    sqlx::query(
        "INSERT INTO desk_users (name, display_name, role, password_hash, created_at) \
         VALUES ('boss', 'Boss', 'manager', 'x', '2026-01-01T00:00:00+00:00')",
    )
    .execute(pool)
    .await
    .unwrap();
    let bad = sqlx::query(
        "INSERT INTO desk_users (name, display_name, role, password_hash, created_at) \
         VALUES ('x', 'X', 'king', 'x', '2026-01-01T00:00:00+00:00')",
    )
    .execute(pool)
    .await;
    assert!(bad.is_err(), "the CHECK still holds");
    // Foreign keys are enforced again on the application's connections.
    let dangling = sqlx::query(
        "INSERT INTO desk_sessions (token_hash, user_id, csrf, created_at, expires_at) \
         VALUES ('u', 999, 'c', '2026-01-01T00:00:00+00:00', '2027-01-01T00:00:00+00:00')",
    )
    .execute(pool)
    .await;
    assert!(dangling.is_err());
}
