package stripetest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// writeError answers with a Stripe error object.
func writeError(w http.ResponseWriter, status int, typ, param, message string) {
	code := ""
	if status == http.StatusNotFound && param != "" {
		code = "resource_missing"
	}
	writeErrorCode(w, status, typ, code, param, message)
}

func writeErrorCode(w http.ResponseWriter, status int, typ, code, param, message string) {
	body := map[string]any{"type": typ, "message": message}
	if code != "" {
		body["code"] = code
		body["doc_url"] = "https://stripe.com/docs/error-codes/" + strings.ReplaceAll(code, "_", "-")
	}
	if param != "" {
		body["param"] = param
	}
	out, _ := json.MarshalIndent(map[string]any{"error": body}, "", "  ")
	writeJSON(w, status, out)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// authorized checks the secret key as Stripe does (Bearer, or Basic with
// the key as user name) and answers 401 when it is missing or wrong. The
// error never repeats the key.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		key, _, ok = r.BasicAuth()
	}
	switch {
	case !ok || key == "":
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "",
			"You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")
		return false
	case key != s.apiKey:
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "",
			"Invalid API Key provided: "+redact(key))
		return false
	}
	return true
}

// redact keeps a key's prefix and last four characters, as Stripe does.
func redact(key string) string {
	if len(key) <= 12 {
		return "****"
	}
	return key[:8] + "****" + key[len(key)-4:]
}
