//! Blacklist collections over real HTTP with the real face engine: enrol persons from photos, find
//! the right person from another photo of them, no hit for a stranger, deletion takes effect at
//! once, bad images refused at enrolment, and companies never see each other's collections.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A CLIENT ADMIN (collections) and a CLIENT (folders, analyses) of a new company.
async fn company(app: &TestApp, admin: &str, name: &str) -> (String, String, String) {
    let c = app.create_company(admin, name).await;
    let domain = name.to_lowercase();
    let (_, boss) = app
        .user(admin, &c, "CLIENT ADMIN", &format!("boss@{domain}.com"))
        .await;
    let (_, client) = app
        .user(admin, &c, "CLIENT", &format!("client@{domain}.com"))
        .await;
    (c, boss, client)
}

async fn create_collection(app: &TestApp, token: &str, alias: &str) -> (StatusCode, Value) {
    app.json(
        Method::POST,
        "/api/collections/",
        token,
        Some(json!({"alias": alias, "meta_data": {"list": "fraud"}})),
    )
    .await
}

/// A server running analyses, a new company's CLIENT ADMIN and CLIENT, and a collection of
/// theirs named `alias`: `(app, boss, client, collection_id)`.
async fn searchable_collection(name: &str, alias: &str) -> (TestApp, String, String, String) {
    let app = spawn_app().await;
    app.start_workers();
    app.load_engine();
    let admin = app.admin_token().await;
    let (_, boss, client) = company(&app, &admin, name).await;
    let (s, c) = create_collection(&app, &boss, alias).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["collection_id"].as_str().unwrap().to_string();
    (app, boss, client, cid)
}

/// Enrols a person with `images` and returns the response.
async fn enrol(app: &TestApp, token: &str, cid: &str, images: Vec<Vec<u8>>) -> (StatusCode, Value) {
    let keys: Vec<String> = (0..images.len()).map(|i| format!("image{i}")).collect();
    let parts = keys
        .iter()
        .zip(images)
        .map(|(k, b)| (k.as_str(), "face.png", b))
        .collect();
    app.upload(
        &format!("/api/collections/{cid}/persons/"),
        token,
        parts,
        Some(json!({"person:meta_data": {"case": "1234"}})),
    )
    .await
}

/// Runs a `collection` analysis on a new folder holding `photo` and returns it ended.
async fn search(app: &TestApp, client: &str, photo: Vec<u8>, params: Value) -> Value {
    let f = folder(
        app,
        client,
        vec![("selfie", "selfie.jpg", photo, &["photo_selfie"])],
    )
    .await;
    let fid = f["folder_id"].as_str().unwrap();
    let body = json!({"analyses": [{"type": "collection", "params": params}]});
    let (s, started) = app
        .json(
            Method::POST,
            &format!("/api/folders/{fid}/analyses/"),
            client,
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{started}");
    finished(app, client, started.as_array().unwrap(), "").await
}

fn person_found(a: &Value) -> &Value {
    &a["results_media"][0]["results_data"]["person_id"]
}

#[tokio::test]
async fn enrolled_people_are_found_strangers_are_not_and_deletion_is_immediate() {
    let app = spawn_app().await;
    app.start_workers();
    app.load_engine();
    let admin = app.admin_token().await;
    let (_, boss, client) = company(&app, &admin, "Acme").await;
    let faces = group_faces();
    assert!(
        faces.len() >= 4,
        "t1.jpg shows several people: {}",
        faces.len()
    );

    let (s, c) = create_collection(&app, &boss, "wanted").await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["collection_id"].as_str().unwrap().to_string();
    assert_eq!(c["alias"], "wanted");
    // Aliases are unique within a company.
    let dup = create_collection(&app, &boss, "Wanted").await;
    assert_error(&dup, 400, 13);

    // Enrol three people of the group photo; the rest stay strangers.
    let mut persons = Vec::new();
    for face in &faces[..3] {
        let (s, p) = enrol(&app, &boss, &cid, vec![face.clone()]).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        assert_eq!(p["meta_data"]["case"], "1234");
        let img = &p["images"][0];
        assert!(img["technical_meta_data"]["face_box"].is_array(), "{p}");
        // The stored image downloads.
        let url = img["original_url"].as_str().unwrap();
        let got = app.client.get(url).send().await.unwrap();
        assert_eq!(got.status(), 200);
        persons.push(p["person_id"].as_str().unwrap().to_string());
    }
    let listed = app
        .list_ids(
            &format!("/api/collections/{cid}/persons/"),
            "person_id",
            &boss,
        )
        .await;
    assert_eq!(listed.len(), 3);

    // Another photo of person 1 is a hit: DECLINED, the right person, candidates reported.
    let probe = another_photo_of(&faces[1]);
    let a = search(&app, &client, probe.clone(), json!({"collection_id": cid})).await;
    assert_eq!(a["state"], "FINISHED", "{a}");
    assert_eq!(a["resolution_status"], "DECLINED", "{a}");
    assert_eq!(person_found(&a), &json!(persons[1]), "{a}");
    let r = &a["results_media"][0]["results_data"];
    let cands = r["candidates"].as_array().unwrap();
    eprintln!(
        "candidates for another photo of person 1: {}",
        r["candidates"]
    );
    assert_eq!(cands.len(), 3, "one candidate per enrolled person: {r}");
    assert!(cands[0]["confidence"].as_f64().unwrap() >= 0.85, "{r}");
    assert!(cands[1]["confidence"].as_f64().unwrap() < 0.85, "{r}");
    assert_eq!(a["results_data"]["person_ids"], json!([persons[1]]));
    // By alias too.
    let a = search(&app, &client, probe.clone(), json!({"alias": "wanted"})).await;
    assert_eq!(a["resolution_status"], "DECLINED", "{a}");

    // Strangers are not hits.
    for stranger in &faces[3..] {
        let a = search(
            &app,
            &client,
            another_photo_of(stranger),
            json!({"collection_id": cid}),
        )
        .await;
        assert_eq!(a["resolution_status"], "SUCCESS", "{a}");
        assert_eq!(person_found(&a), &Value::Null, "{a}");
        eprintln!("stranger's best: {}", a["results_data"]["max_confidence"]);
    }
    let hanks = fixture("Tom_Hanks_54745.png");
    let a = search(&app, &client, hanks, json!({"collection_id": cid})).await;
    assert_eq!(a["resolution_status"], "SUCCESS", "{a}");

    // A higher threshold or count than the evidence gives no hit.
    let a = search(
        &app,
        &client,
        probe.clone(),
        json!({"collection_id": cid, "decision_count": 2}),
    )
    .await;
    assert_eq!(a["resolution_status"], "SUCCESS", "{a}");

    // Deleting the person takes its templates out of search at once.
    let (s, b) = app
        .json(
            Method::DELETE,
            &format!("/api/collections/{cid}/persons/{}", persons[1]),
            &boss,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let a = search(&app, &client, probe.clone(), json!({"collection_id": cid})).await;
    assert_eq!(a["resolution_status"], "SUCCESS", "{a}");
    let (s, _) = app
        .json(
            Method::GET,
            &format!("/api/collections/{cid}/persons/{}", persons[1]),
            &boss,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // An image added to another person is searchable; deleting it removes it again.
    let (s, added) = app
        .upload(
            &format!("/api/collections/{cid}/persons/{}/images/", persons[0]),
            &boss,
            vec![("more", "more.png", faces[1].clone())],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{added}");
    let a = search(&app, &client, probe.clone(), json!({"collection_id": cid})).await;
    assert_eq!(person_found(&a), &json!(persons[0]), "{a}");
    let iid = added[0]["person_image_id"].as_str().unwrap();
    let (s, _) = app
        .json(
            Method::DELETE,
            &format!("/api/collections/{cid}/persons/{}/images/{iid}", persons[0]),
            &boss,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let a = search(&app, &client, probe.clone(), json!({"collection_id": cid})).await;
    assert_eq!(a["resolution_status"], "SUCCESS", "{a}");

    // Deleting the collection: 404 after, analyses naming it are refused.
    let (s, _) = app
        .json(
            Method::DELETE,
            &format!("/api/collections/{cid}"),
            &boss,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let gone = app
        .json(Method::GET, &format!("/api/collections/{cid}"), &boss, None)
        .await;
    assert_error(&gone, 404, 10);
}

#[tokio::test]
async fn companies_never_see_each_others_collections() {
    let app = spawn_app().await;
    app.start_workers();
    app.load_engine();
    let admin = app.admin_token().await;
    let (_, acme_boss, acme_client) = company(&app, &admin, "Acme").await;
    let (globex, globex_boss, globex_client) = company(&app, &admin, "Globex").await;
    let faces = group_faces();

    let (_, c) = create_collection(&app, &acme_boss, "wanted").await;
    let cid = c["collection_id"].as_str().unwrap().to_string();
    let (s, p) = enrol(&app, &acme_boss, &cid, vec![faces[0].clone()]).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let pid = p["person_id"].as_str().unwrap().to_string();
    // The same alias in another company is another collection.
    let (s, g) = create_collection(&app, &globex_boss, "wanted").await;
    assert_eq!(s, StatusCode::CREATED, "{g}");

    // Every path of Acme's collection answers Globex exactly like a missing one.
    let missing = uuid_like();
    for path in [
        format!("/api/collections/{cid}"),
        format!("/api/collections/{cid}/persons/"),
        format!("/api/collections/{cid}/persons/{pid}"),
        format!("/api/collections/{cid}/persons/{pid}/images/"),
        format!("/api/collections/{cid}/meta_data"),
    ] {
        let theirs = app.json(Method::GET, &path, &globex_boss, None).await;
        assert_error(&theirs, 404, 10);
        let none = app
            .json(
                Method::GET,
                &path.replace(&cid, &missing),
                &globex_boss,
                None,
            )
            .await;
        assert_eq!(theirs.1["error_message"], none.1["error_message"], "{path}");
    }
    let del = app
        .json(
            Method::DELETE,
            &format!("/api/collections/{cid}/persons/{pid}"),
            &globex_boss,
            None,
        )
        .await;
    assert_error(&del, 404, 10);
    let (s, b) = enrol(&app, &globex_boss, &cid, vec![faces[1].clone()]).await;
    assert_error(&(s, b), 404, 10);
    let listed = app
        .list_ids("/api/collections/", "collection_id", &globex_boss)
        .await;
    assert!(!listed.contains(&cid), "{listed:?}");
    // A CLIENT ADMIN cannot create a collection for another company.
    let other = app
        .json(
            Method::POST,
            "/api/collections/",
            &acme_boss,
            Some(json!({"alias": "x", "company_id": globex})),
        )
        .await;
    assert_error(&other, 404, 10);

    // Globex's client cannot search Acme's collection, by id or by alias (its own "wanted" is
    // empty): the id is refused like a missing one.
    let f = folder(
        &app,
        &globex_client,
        vec![("s", "s.png", faces[0].clone(), &["photo_selfie"])],
    )
    .await;
    let fid = f["folder_id"].as_str().unwrap();
    let mut refusals = Vec::new();
    for id in [&cid, &missing] {
        let body = json!({"analyses": [{"type": "collection", "params": {"collection_id": id}}]});
        let r = app
            .json(
                Method::POST,
                &format!("/api/folders/{fid}/analyses/"),
                &globex_client,
                Some(body),
            )
            .await;
        assert_error(&r, 400, 4);
        refusals.push(r.1["error_message"].clone());
    }
    assert_eq!(refusals[0], refusals[1]);
    let a = search(
        &app,
        &globex_client,
        faces[0].clone(),
        json!({"alias": "wanted"}),
    )
    .await;
    assert_eq!(
        a["resolution_status"], "SUCCESS",
        "Globex's own list is empty: {a}"
    );
    assert_eq!(a["results_data"]["collection_id"], g["collection_id"]);

    // A client may find its company's collections (the Oz SDK looks the blacklist up by alias
    // before a collection analysis), never another company's, and never browse the persons.
    let listed = app
        .list_ids("/api/collections/", "collection_id", &acme_client)
        .await;
    assert_eq!(listed, vec![cid.clone()]);
    let (s, one) = app
        .json(
            Method::GET,
            &format!("/api/collections/{cid}"),
            &acme_client,
            None,
        )
        .await;
    assert_eq!((s, one["alias"].as_str()), (StatusCode::OK, Some("wanted")));
    let r = app
        .json(
            Method::GET,
            &format!("/api/collections/{}", g["collection_id"].as_str().unwrap()),
            &acme_client,
            None,
        )
        .await;
    assert_error(&r, 404, 10);
    let r = app
        .json(
            Method::GET,
            &format!("/api/collections/{cid}/persons/"),
            &acme_client,
            None,
        )
        .await;
    assert_error(&r, 403, 9);
    // ADMIN sees both companies' collections.
    let all = app
        .list_ids("/api/collections/", "collection_id", &admin)
        .await;
    assert!(all.contains(&cid) && all.len() >= 2, "{all:?}");
}

fn uuid_like() -> String {
    "00000000-0000-4000-8000-000000000000".to_string()
}

#[tokio::test]
async fn bad_images_are_refused_at_enrolment_and_nothing_is_stored() {
    let app = spawn_app().await;
    app.load_engine();
    let admin = app.admin_token().await;
    let (_, boss, _) = company(&app, &admin, "Acme").await;
    let (_, c) = create_collection(&app, &boss, "wanted").await;
    let cid = c["collection_id"].as_str().unwrap().to_string();
    let group = fixture("t1.jpg");
    let cases: Vec<(&str, Vec<u8>, u16, i64)> = vec![
        ("no face", png(320, 240), 400, 4),
        ("several faces", group, 400, 4),
        ("not an image", b"hello, this is text".to_vec(), 400, 5),
        ("a video", mp4(), 400, 5),
        // An empty part is no file (what a mobile client sends for a skipped capture).
        ("empty", Vec::new(), 400, 3),
        (
            "truncated",
            fixture("astronaut.png")[..2000].to_vec(),
            400,
            4,
        ),
    ];
    for (what, bytes, status, code) in cases {
        let r = enrol(&app, &boss, &cid, vec![bytes]).await;
        assert_eq!(
            (r.0.as_u16(), r.1["error_code"].as_i64()),
            (status, Some(code)),
            "{what}: {}",
            r.1
        );
    }
    // One bad image refuses the whole person.
    let r = enrol(
        &app,
        &boss,
        &cid,
        vec![fixture("astronaut.png"), png(64, 64)],
    )
    .await;
    assert_error(&r, 400, 4);
    let r = enrol(&app, &boss, &cid, Vec::new()).await;
    assert_error(&r, 400, 3);
    let persons = app
        .list_ids(
            &format!("/api/collections/{cid}/persons/"),
            "person_id",
            &boss,
        )
        .await;
    assert!(persons.is_empty(), "{persons:?}");
    // Unknown payload fields and bad aliases.
    let r = app
        .upload(
            &format!("/api/collections/{cid}/persons/"),
            &boss,
            vec![("a", "a.png", fixture("astronaut.png"))],
            Some(json!({"folder:meta_data": {}})),
        )
        .await;
    assert_error(&r, 400, 3);
    for alias in [json!(""), json!("a".repeat(129)), json!(5)] {
        let r = app
            .json(
                Method::POST,
                "/api/collections/",
                &boss,
                Some(json!({"alias": alias})),
            )
            .await;
        assert!(r.0 == StatusCode::BAD_REQUEST, "{alias}: {}", r.1);
    }
    // Bad analysis params are refused before anything is stored.
    let (_, _, client) = company(&app, &admin, "Initech").await;
    let f = folder(
        &app,
        &client,
        vec![("s", "s.png", fixture("astronaut.png"), &["photo_selfie"])],
    )
    .await;
    let fid = f["folder_id"].as_str().unwrap();
    for params in [
        json!({}),
        json!({"collection_id": cid, "decision_threshold": 2}),
        json!({"collection_id": cid, "decision_count": 0}),
    ] {
        let body = json!({"analyses": [{"type": "collection", "params": params}]});
        let r = app
            .json(
                Method::POST,
                &format!("/api/folders/{fid}/analyses/"),
                &client,
                Some(body),
            )
            .await;
        assert!(r.0 == StatusCode::BAD_REQUEST, "{params}: {}", r.1);
    }
}

/// Identities of `../shared/data/faces-deepface` (the same-person pairs of `master.csv`, joined),
/// each a list of image names; `None` when the folder is absent.
fn deepface_identities() -> Option<Vec<Vec<String>>> {
    let csv = String::from_utf8(shared_data("faces-deepface/master.csv")?).unwrap();
    let mut parent: std::collections::BTreeMap<String, String> = Default::default();
    fn root(p: &mut std::collections::BTreeMap<String, String>, x: &str) -> String {
        let mut x = x.to_string();
        while let Some(up) = p.get(&x).filter(|u| **u != x) {
            x = up.clone();
        }
        x
    }
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        for x in &f[..2] {
            parent.entry(x.to_string()).or_insert_with(|| x.to_string());
        }
        if f[2].trim() == "Yes" {
            let (a, b) = (root(&mut parent, f[0]), root(&mut parent, f[1]));
            parent.insert(a, b);
        }
    }
    let mut groups: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for x in parent.keys().cloned().collect::<Vec<_>>() {
        let r = root(&mut parent, &x);
        groups.entry(r).or_default().push(x);
    }
    Some(groups.into_values().collect())
}

/// Real photos: one photo enrolled per person for the first half of the identities; every other
/// photo of an enrolled person must find that person, and no photo of the others may hit anyone.
#[tokio::test]
async fn real_photos_find_their_person_when_shared_data_present() {
    let Some(ids) = deepface_identities() else {
        return;
    };
    let (app, boss, client, cid) = searchable_collection("Acme", "real").await;
    let photo = |name: &str| shared_data(&format!("faces-deepface/{name}")).unwrap();
    let enrolled = ids.len().div_ceil(2);
    let mut person_of = Vec::new();
    for group in &ids[..enrolled] {
        let (s, p) = enrol(&app, &boss, &cid, vec![photo(&group[0])]).await;
        assert_eq!(s, StatusCode::CREATED, "{}: {p}", group[0]);
        person_of.push(p["person_id"].clone());
    }
    let (mut found, mut probes, mut wrong, mut stranger_hits, mut strangers) = (0, 0, 0, 0, 0);
    for (i, group) in ids.iter().enumerate() {
        let rest = if i < enrolled {
            &group[1..]
        } else {
            &group[..]
        };
        for name in rest {
            let a = search(&app, &client, photo(name), json!({"collection_id": cid})).await;
            let hit = person_found(&a);
            if i < enrolled {
                probes += 1;
                found += usize::from(*hit == person_of[i]);
                wrong += usize::from(!hit.is_null() && *hit != person_of[i]);
            } else {
                strangers += 1;
                stranger_hits += usize::from(!hit.is_null());
            }
        }
    }
    eprintln!(
        "1:N on faces-deepface: {enrolled} persons enrolled; {found}/{probes} photos of enrolled \
         persons found, {wrong} wrong person; {stranger_hits}/{strangers} strangers hit"
    );
    assert_eq!((wrong, stranger_hits), (0, 0));
    assert!(found * 4 >= probes * 3, "{found}/{probes}");
}

#[tokio::test]
async fn operators_read_collections_and_only_admins_change_them() {
    let app = spawn_app_with(|c| c.limits.max_file_bytes = 300_000).await;
    app.load_engine();
    let admin = app.admin_token().await;
    let (acme, boss, _) = company(&app, &admin, "Acme").await;
    let (_, op) = app
        .user(&admin, &acme, "CLIENT OPERATOR", "op@acme.com")
        .await;
    let (_, global_op) = app.user(&admin, &acme, "OPERATOR", "gop@acme.com").await;
    let (_, c) = create_collection(&app, &boss, "wanted").await;
    let cid = c["collection_id"].as_str().unwrap().to_string();
    let faces = group_faces();
    let (s, p) = enrol(&app, &boss, &cid, vec![faces[0].clone()]).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let pid = p["person_id"].as_str().unwrap();

    for reader in [&op, &global_op] {
        let (s, _) = app
            .json(
                Method::GET,
                &format!("/api/collections/{cid}/persons/{pid}"),
                reader,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let r = create_collection(&app, reader, "mine").await;
        assert_error(&r, 403, 9);
        let r = app
            .json(
                Method::DELETE,
                &format!("/api/collections/{cid}/persons/{pid}"),
                reader,
                None,
            )
            .await;
        assert_error(&r, 403, 9);
        let r = enrol(&app, reader, &cid, vec![faces[1].clone()]).await;
        assert_error(&r, 403, 9);
    }
    // ADMIN creates a collection for a named company.
    let (s, b) = app
        .json(
            Method::POST,
            "/api/collections/",
            &admin,
            Some(json!({"alias": "by-admin", "company_id": acme})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["company_id"], json!(acme));
    // Collection meta_data is a sub-resource like the others.
    let (s, md) = app
        .json(
            Method::PATCH,
            &format!("/api/collections/{cid}/meta_data"),
            &boss,
            Some(json!({"owner": "risk"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{md}");
    assert_eq!(md, json!({"list": "fraud", "owner": "risk"}));
    // A file over the upload bound is refused before it is read whole.
    let big = vec![0u8; 400_000];
    let r = enrol(&app, &boss, &cid, vec![big]).await;
    assert_error(&r, 413, 14);
}

/// An image enrolled before the embedding model changed keeps a template of the old format: a
/// search leaves that image out (the person is not found by it) and still answers for the rest.
#[tokio::test]
async fn a_template_of_an_earlier_format_is_left_out_of_the_search() {
    use base64::Engine as _;
    use shared::app::repo::{IMAGE_PREFIX, collection_pk};
    use shared::ports::{Condition, Range};

    let (app, boss, client, cid) = searchable_collection("Stale", "old").await;
    let faces = group_faces();
    let mut persons = Vec::new();
    for face in &faces[..2] {
        let (s, p) = enrol(&app, &boss, &cid, vec![face.clone()]).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        persons.push(p["person_id"].as_str().unwrap().to_string());
    }
    // Person 1's image gets a version-1 template (512 values), as stored before 2026-12-04.
    let pk = collection_pk(cid.parse().unwrap());
    let items = app
        .app
        .store
        .query(&pk, &Range::prefix(IMAGE_PREFIX))
        .await
        .unwrap();
    let mut item = items
        .into_iter()
        .find(|i| i.body["person_id"] == json!(persons[1]))
        .expect("person 1's image item");
    let mut v1 = b"OZFT".to_vec();
    v1.extend_from_slice(&1u16.to_le_bytes());
    v1.extend_from_slice(&512u16.to_le_bytes());
    v1.extend((0..512).flat_map(|_| (1.0f32 / 512f32.sqrt()).to_le_bytes()));
    item.body["template"] = json!(base64::engine::general_purpose::STANDARD.encode(v1));
    app.app.store.put(item, Condition::Exists).await.unwrap();

    let a = search(
        &app,
        &client,
        another_photo_of(&faces[0]),
        json!({"collection_id": cid}),
    )
    .await;
    assert_eq!(a["state"], "FINISHED", "{a}");
    assert_eq!(person_found(&a), &json!(persons[0]), "{a}");
    let a = search(
        &app,
        &client,
        another_photo_of(&faces[1]),
        json!({"collection_id": cid}),
    )
    .await;
    assert_eq!(a["state"], "FINISHED", "{a}");
    assert_eq!(
        person_found(&a),
        &Value::Null,
        "the stale image is not searched: {a}"
    );
}
