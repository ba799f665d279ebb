// The Likeness API from the browser: every call carries the key; errors become ApiError with the
// server's message. Images are fetched with the key and shown through blob: URLs (an <img src>
// cannot send an Authorization header).
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class Api {
  constructor(key) {
    this.key = key;
  }

  headers() {
    return { Authorization: `Bearer ${this.key}` };
  }

  static async errorFrom(response) {
    let code = 'http_error';
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      if (body && body.error) {
        code = body.error.code || code;
        message = body.error.message || message;
      }
    } catch (_) { /* not JSON */ }
    if (response.status === 429) {
      const after = response.headers.get('Retry-After');
      if (after) message += ` (retry in ${after} s)`;
    }
    return new ApiError(response.status, code, message);
  }

  async request(method, path, body) {
    const init = { method, headers: this.headers() };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers['Content-Type'] = 'application/json';
    }
    const response = await fetch(path, init);
    if (!response.ok) throw await Api.errorFrom(response);
    return response.json();
  }

  get(path) { return this.request('GET', path); }
  post(path, body) { return this.request('POST', path, body); }

  // An object URL for an image the API serves (revoke it when done).
  async imageUrl(path) {
    const response = await fetch(path, { headers: this.headers() });
    if (!response.ok) throw await Api.errorFrom(response);
    return URL.createObjectURL(await response.blob());
  }

  // POSTs a form with upload progress (fetch has none): onProgress(loaded, total).
  upload(path, form, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', path);
      xhr.setRequestHeader('Authorization', `Bearer ${this.key}`);
      xhr.responseType = 'json';
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total); };
      xhr.onerror = () => reject(new ApiError(0, 'network', 'the upload failed (network)'));
      xhr.onload = () => {
        const body = xhr.response;
        // An upload answers 400 with per-file results when no file could be stored.
        if (xhr.status === 200 || (xhr.status === 400 && body && body.files)) {
          resolve(body);
        } else {
          const e = body && body.error ? body.error : {};
          reject(new ApiError(xhr.status, e.code || 'http_error', e.message || `HTTP ${xhr.status}`));
        }
      };
      xhr.send(form);
    });
  }
}
