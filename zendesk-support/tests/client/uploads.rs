//! Uploads and capped attachment downloads.

use super::*;

#[tokio::test]
async fn upload_sends_the_bytes_with_their_content_type() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/uploads"))
        .and(query_param("filename", "crash report.png"))
        .and(header("content-type", "image/png"))
        .and(header("authorization", BASIC))
        .and(body_bytes(vec![0x89, b'P', b'N', b'G']))
        .respond_with(ResponseTemplate::new(201).set_body_json(fixture("upload")))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let upload = client_for(&server)
        .uploads()
        .upload(
            "crash report.png",
            "image/png",
            vec![0x89, b'P', b'N', b'G'],
        )
        .await
        .unwrap();
    assert_eq!(upload.token, "LXJdriewLBP8JrtzzkN7Ne4k6");
    assert!(upload.attachment.unwrap().is_image());
}

#[tokio::test]
async fn downloads_send_credentials_only_to_the_account_host() {
    let own = MockServer::start().await;
    let foreign = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/attachments/token/abc"))
        .and(header("authorization", BASIC))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "image/png")
                .set_body_bytes(vec![1, 2, 3]),
        )
        .expect(1)
        .mount(&own)
        .await;
    Mock::given(method("GET"))
        .and(path("/attachments/token/moved"))
        .and(header("authorization", BASIC))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/cdn/file.png", foreign.uri())),
        )
        .expect(1)
        .mount(&own)
        .await;
    Mock::given(method("GET"))
        .and(path("/cdn/file.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![9; 10]))
        .expect(3)
        .mount(&foreign)
        .await;

    let client = client_for(&own);
    let download = client
        .uploads()
        .download(&format!("{}/attachments/token/abc", own.uri()), 1024)
        .await
        .unwrap();
    assert_eq!(download.bytes.as_ref(), [1, 2, 3]);
    assert_eq!(download.content_type.as_deref(), Some("image/png"));

    let redirected = client
        .uploads()
        .download(&format!("{}/attachments/token/moved", own.uri()), 1024)
        .await
        .unwrap();
    assert_eq!(redirected.bytes.len(), 10);
    let direct = client
        .uploads()
        .download(&format!("{}/cdn/file.png", foreign.uri()), 1024)
        .await
        .unwrap();
    assert_eq!(direct.bytes.len(), 10);
    for request in foreign.received_requests().await.unwrap() {
        assert!(
            !request.headers.contains_key("authorization"),
            "credentials leaked to a foreign host"
        );
    }

    let capped = client
        .uploads()
        .download(&format!("{}/cdn/file.png", foreign.uri()), 9)
        .await;
    assert!(
        matches!(capped, Err(Error::TooLarge { limit: 9 })),
        "{capped:?}"
    );
}

#[tokio::test]
async fn a_download_without_content_length_is_capped_while_streaming() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // wiremock always sends Content-Length; a chunked answer needs a hand-made server.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 4096];
        let _ = socket.read(&mut request).await;
        let mut answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..64 {
            answer.extend_from_slice(b"400\r\n");
            answer.extend_from_slice(&[7u8; 0x400]);
            answer.extend_from_slice(b"\r\n");
        }
        answer.extend_from_slice(b"0\r\n\r\n");
        let _ = socket.write_all(&answer).await;
    });
    let server = MockServer::start().await;
    let result = client_for(&server)
        .uploads()
        .download(&format!("http://{address}/big"), 1000)
        .await;
    assert!(
        matches!(result, Err(Error::TooLarge { limit: 1000 })),
        "{result:?}"
    );
}
