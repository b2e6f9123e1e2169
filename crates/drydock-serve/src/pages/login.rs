//! Logging in with a token (a session cookie) and out.

use super::*;

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf: String,
}

fn set_cookie(r: &mut Response, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

pub async fn login_form(State(st): State<Shared>, who: Who) -> PageResult {
    if !st.auth.writes_possible() {
        let body = html! {
            h1 { "Log in" }
            p { "This server runs without a tokens file: there is nothing to log in to. Start it with "
                code { "--tokens tokens.yaml" } " to triage here." }
        };
        return Ok(respond(StatusCode::OK, layout("Log in", &who, body)));
    }
    let csrf = auth::random_hex(16)?;
    let body = html! {
        h1 { "Log in" }
        p.muted { "Paste your drydock token. The browser keeps a session cookie; the token itself is not stored." }
        form.filters method="post" action="/login" {
            input type="hidden" name="csrf" value=(csrf);
            label { "Token" input type="password" name="token" autocomplete="current-password" required size="40"; }
            button type="submit" { "Log in" }
        }
    };
    let mut r = respond(StatusCode::OK, layout("Log in", &who, body));
    set_cookie(
        &mut r,
        format!("{LOGIN_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=600"),
    );
    Ok(r)
}

pub async fn login(State(st): State<Shared>, headers: HeaderMap, body: Bytes) -> PageResult {
    let form: LoginForm = serde_urlencoded_form(&body)?;
    let expected = auth::cookie(&headers, LOGIN_COOKIE);
    auth::check_csrf(&headers, expected.as_deref(), &form.csrf)?;
    let (_, today) = view::now();
    let id = st.auth.login(&form.token, today)?;
    let mut r = Redirect::to("/").into_response();
    set_cookie(
        &mut r,
        format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200"),
    );
    set_cookie(
        &mut r,
        format!("{LOGIN_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(r)
}

#[derive(Debug, Default, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(st): State<Shared>,
    who: Who,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let form: CsrfOnly = serde_urlencoded_form(&body)?;
    let expected = who.principal.as_ref().and_then(|p| p.csrf.clone());
    auth::check_csrf(&headers, expected.as_deref(), &form.csrf)?;
    st.auth.logout(&headers);
    let mut r = Redirect::to("/").into_response();
    set_cookie(
        &mut r,
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(r)
}

/// A url-encoded form body (through axum's own form decoding).
fn serde_urlencoded_form<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, AppError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| AppError::BadRequest("the form is not UTF-8".into()))?;
    let uri: axum::http::Uri = format!("/?{text}")
        .parse()
        .map_err(|_| AppError::BadRequest("malformed form".into()))?;
    axum::extract::Query::<T>::try_from_uri(&uri)
        .map(|q| q.0)
        .map_err(|e| AppError::BadRequest(format!("malformed form: {}", e.body_text())))
}
