// Security keys and passkeys (WebAuthn) as a second factor: adding one, and signing in
// with one after the password. The server side is django-otp-webauthn's JSON views
// (accounts/views.py); its options and answers are WebAuthn's JSON form with binary
// fields in base64url, converted here. The pages work without this script: the code
// from an authenticator app or a recovery code is an ordinary form.
//
// Markup: an element with data-security-key="register|verify", data-begin and
// data-complete (the two URLs), data-csrf, data-next (where to go when done) and,
// optionally, data-after (the id of a form to submit when done instead); inside it a
// <button> and an element with role="status"; the messages are <template> elements
// (translated by the server) named in data-msg-busy, data-msg-done, data-msg-failed,
// data-msg-unsupported.
(function () {
  "use strict";

  function fromB64url(text) {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = b64 + "===".slice((b64.length + 3) % 4);
    const raw = atob(padded);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toB64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let raw = "";
    for (let i = 0; i < bytes.length; i += 1) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(json) {
    const options = Object.assign({}, json);
    options.challenge = fromB64url(json.challenge);
    options.user = Object.assign({}, json.user, { id: fromB64url(json.user.id) });
    options.excludeCredentials = (json.excludeCredentials || []).map(
      (c) => Object.assign({}, c, { id: fromB64url(c.id) })
    );
    return options;
  }

  function requestOptions(json) {
    const options = Object.assign({}, json);
    options.challenge = fromB64url(json.challenge);
    options.allowCredentials = (json.allowCredentials || []).map(
      (c) => Object.assign({}, c, { id: fromB64url(c.id) })
    );
    return options;
  }

  function credentialJSON(credential) {
    const r = credential.response;
    const out = {
      id: credential.id,
      rawId: toB64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toB64url(r.clientDataJSON) },
    };
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      out.response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      out.response.userHandle = r.userHandle ? toB64url(r.userHandle) : null;
    }
    return out;
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrf,
      },
      body: body === undefined ? "" : JSON.stringify(body),
    });
  }

  function setUp(box) {
    const d = box.dataset;
    const button = box.querySelector("button");
    const status = box.querySelector("[role=status]");
    const msg = (id) => {
      const el = document.getElementById(id);
      return el ? ((el.content || el).textContent || "").trim() : "";
    };
    const say = (id) => { status.textContent = msg(id); };
    if (!window.PublicKeyCredential || !navigator.credentials) {
      button.disabled = true;
      say(d.msgUnsupported);
      return;
    }
    button.addEventListener("click", async () => {
      button.disabled = true;
      say(d.msgBusy);
      try {
        const begin = await post(d.begin, d.csrf);
        if (!begin.ok) throw new Error("options refused");
        const options = await begin.json();
        const credential = d.securityKey === "register"
          ? await navigator.credentials.create({ publicKey: creationOptions(options) })
          : await navigator.credentials.get({ publicKey: requestOptions(options) });
        const done = await post(d.complete, d.csrf, credentialJSON(credential));
        if (!done.ok) throw new Error("answer refused");
        say(d.msgDone);
        const after = d.after ? document.getElementById(d.after) : null;
        if (after) after.submit();
        else window.location.assign(d.next);
      } catch (error) {
        say(d.msgFailed);
        button.disabled = false;
        button.focus();
      }
    });
  }

  document.querySelectorAll("[data-security-key]").forEach(setUp);
})();
