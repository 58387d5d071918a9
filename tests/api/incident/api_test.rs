//! The token-protected JSON API for the dispatch or SCADA system.

use heatdesk::config::Secret;
use serde_json::{json, Value};

use super::{hours, CAUSE};
use crate::helpers::{fresh_postgres, spawn_app_in, TestApp};

const API_TOKEN: &str = "dispatch-token";

async fn api_app(url: Option<String>) -> TestApp {
    spawn_app_in(tempfile::tempdir().unwrap(), |s| {
        s.incident.token = Secret::new(API_TOKEN);
        if let Some(url) = url {
            s.database_url = Secret::new(url);
        }
    })
    .await
}

async fn backends() -> Vec<Option<String>> {
    let mut out = vec![None];
    if let Some(url) = fresh_postgres().await {
        out.push(Some(url));
    }
    out
}

#[tokio::test]
async fn the_api_refuses_without_the_token_and_refuses_bad_input_storing_nothing() {
    for url in backends().await {
        let app = api_app(url).await;
        let c = &app.client;
        let list = app.url("/api/v1/interruptions");
        let body =
            json!({ "kind": "fault", "estates": ["滨河花园"], "cause": CAUSE, "eta": hours(5) });

        let none = c.post(&list).json(&body).send().await.unwrap();
        assert_eq!(none.status(), 401);
        let wrong = c
            .post(&list)
            .bearer_auth("not-the-token")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);
        let v: Value = wrong.json().await.unwrap();
        assert_eq!(v["error"]["code"], "error-unauthorized");
        assert_eq!(c.get(&list).send().await.unwrap().status(), 401);

        let refusals = [
            (
                json!({ "kind": "fault", "estates": ["月亮湾小区"], "cause": CAUSE, "eta": hours(5) }),
                "incident-unknown-estate",
            ),
            (
                json!({ "kind": "fault", "estates": ["滨河花园"], "cause": CAUSE,
                        "starts_at": hours(6), "eta": hours(5) }),
                "incident-end-before-start",
            ),
            (
                json!({ "kind": "fault", "estates": ["滨河花园"], "cause": CAUSE, "eta": hours(-2) }),
                "incident-eta-in-past",
            ),
        ];
        for (bad, code) in refusals {
            let res = c
                .post(&list)
                .bearer_auth(API_TOKEN)
                .json(&bad)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 422, "{bad}");
            let v: Value = res.json().await.unwrap();
            assert_eq!(v["error"]["code"], code);
            assert!(v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()));
        }
        let malformed = c
            .post(&list)
            .bearer_auth(API_TOKEN)
            .json(&json!({ "kind": "meteor", "cause": CAUSE, "eta": hours(5) }))
            .send()
            .await
            .unwrap();
        assert_eq!(malformed.status(), 400);
        let all: Value = c
            .get(format!("{list}?all=true"))
            .bearer_auth(API_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(all["interruptions"], json!([]), "nothing stored");

        let opened = c
            .post(&list)
            .bearer_auth(API_TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(opened.status(), 201);
        let opened: Value = opened.json().await.unwrap();
        let id = opened["id"].as_i64().unwrap();
        assert_eq!(opened["scope"]["district"], "海勃湾区");
        assert_eq!(opened["history"][0]["kind"], "opened");

        let eta = c
            .post(app.url(&format!("/api/v1/interruptions/{id}/eta")))
            .bearer_auth(API_TOKEN)
            .json(&json!({ "eta": hours(-1) }))
            .send()
            .await
            .unwrap();
        assert_eq!(eta.status(), 422);
        // Changes without the token are refused too, and none of the refusals changed it.
        for path in ["eta", "restore"] {
            let res = c
                .post(app.url(&format!("/api/v1/interruptions/{id}/{path}")))
                .json(&json!({ "eta": hours(9) }))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 401, "{path}");
        }
        let one: Value = c
            .get(app.url(&format!("/api/v1/interruptions/{id}")))
            .bearer_auth(API_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(one["history"].as_array().unwrap().len(), 1, "{one}");
        assert_eq!(one["restored_at"], Value::Null, "{one}");
        let eta: Value = c
            .post(app.url(&format!("/api/v1/interruptions/{id}/eta")))
            .bearer_auth(API_TOKEN)
            .json(&json!({ "eta": hours(8) }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(eta["history"].as_array().unwrap().len(), 2);
        let listed: Value = c
            .get(&list)
            .bearer_auth(API_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed["interruptions"].as_array().unwrap().len(), 1);

        let restore = app.url(&format!("/api/v1/interruptions/{id}/restore"));
        let done = c
            .post(&restore)
            .bearer_auth(API_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 200);
        let again = c
            .post(&restore)
            .bearer_auth(API_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 409);
        let missing = c
            .post(app.url("/api/v1/interruptions/9999/restore"))
            .bearer_auth(API_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);

        let spec: Value = c
            .get(app.url("/api/v1/interruptions/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for path in [
            "/interruptions",
            "/interruptions/{id}",
            "/interruptions/{id}/eta",
            "/interruptions/{id}/restore",
        ] {
            assert!(spec["paths"].get(path).is_some(), "{path} documented");
        }
    }
}

#[tokio::test]
async fn without_a_configured_token_the_api_refuses_everyone() {
    let app = spawn_app_in(tempfile::tempdir().unwrap(), |_| {}).await;
    let res = app
        .client
        .get(app.url("/api/v1/interruptions"))
        .header("authorization", "Bearer ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}
