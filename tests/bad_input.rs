mod common;

#[tokio::test]
async fn placeholder() {
    let _ = common::spawn_app().await;
}
