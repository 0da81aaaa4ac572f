package paddle

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// maxPage bounds a captured response: a page of 200 notifications with
// their payloads is well under it.
const maxPage = 32 << 20

// pageCapture is the HTTP client the SDK is given: it sends through the
// retrying client and keeps the body of the last successful response, so
// that the raw payloads of a page can be read from the very bytes the SDK
// decoded. One pageCapture serves one listing or one fetch.
type pageCapture struct {
	client *http.Client

	mu    sync.Mutex
	body  []byte
	pages int // successful responses so far
}

// Do implements the SDK's HTTP doer.
func (pc *pageCapture) Do(req *http.Request) (*http.Response, error) {
	resp, err := pc.client.Do(req)
	if err != nil || resp.StatusCode/100 != 2 {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPage+1))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read paddle response: %w", err)
	}
	if len(body) > maxPage {
		return nil, fmt.Errorf("read paddle response: over %d bytes", maxPage)
	}
	pc.mu.Lock()
	pc.body, pc.pages = body, pc.pages+1
	pc.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// last returns the last captured body and how many have been captured.
func (pc *pageCapture) last() ([]byte, int) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.body, pc.pages
}
