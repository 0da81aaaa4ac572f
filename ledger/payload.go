package ledger

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/klauspost/compress/zstd"
)

// Payload encodings, as the payloads table's encoding column names them.
const (
	encodingIdentity = "identity"
	encodingZstd     = "zstd"
)

// zstdEnc and zstdDec are shared: EncodeAll and DecodeAll are safe for
// concurrent use, each call taking one of a small pool of states.
var (
	zstdEnc = mustEncoder()
	zstdDec = mustDecoder()
)

func mustEncoder() *zstd.Encoder {
	// No checksum: SQLite pages carry the bytes; the frame's own 4 bytes
	// per event would be a tenth of what compression saves on a small event.
	e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderCRC(false),
		zstd.WithEncoderConcurrency(4))
	if err != nil {
		panic(fmt.Sprintf("ledger: zstd encoder: %v", err))
	}
	return e
}

func mustDecoder() *zstd.Decoder {
	d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(4), zstd.WithDecoderMaxMemory(64<<20))
	if err != nil {
		panic(fmt.Sprintf("ledger: zstd decoder: %v", err))
	}
	return d
}

// encodedPayload is a payload as stored: its encoding and bytes.
type encodedPayload struct {
	encoding string
	data     []byte
}

// encodePayload compresses raw without a dictionary: see
// DB.encodePayload.
func encodePayload(raw []byte) encodedPayload { return encodePayloadWith(zstdEnc, raw) }

// encodePayloadWith compresses raw with enc, on the caller's goroutine
// (never the writer's), and keeps it as it is when compression would not
// make it smaller.
func encodePayloadWith(enc *zstd.Encoder, raw []byte) encodedPayload {
	if len(raw) > 0 {
		if z := enc.EncodeAll(raw, make([]byte, 0, len(raw)/2)); len(z) < len(raw) {
			return encodedPayload{encoding: encodingZstd, data: z}
		}
	}
	if raw == nil {
		raw = []byte{}
	}
	return encodedPayload{encoding: encodingIdentity, data: raw}
}

// decodePayload returns the exact bytes that encodePayload (or migration
// 016, for identity) stored, for frames that need no dictionary (see
// DB.decodePayload). A missing row (encoding "") is an empty
// payload: a pruned one.
func decodePayload(encoding string, data []byte) ([]byte, error) {
	switch encoding {
	case "":
		return nil, nil
	case encodingIdentity:
		if data == nil {
			data = []byte{}
		}
		return data, nil
	case encodingZstd:
		raw, err := zstdDec.DecodeAll(data, nil)
		if err != nil {
			return nil, fmt.Errorf("decode payload: %w", err)
		}
		return raw, nil
	default:
		return nil, fmt.Errorf("decode payload: unknown encoding %q", encoding)
	}
}

// loadPayloads reads and decodes the payloads of claims' events from the
// read pool, so that neither the reading nor the decompressing is the
// writer's work.
func (db *DB) loadPayloads(ctx context.Context, claims []*Claim) error {
	byRow := make(map[int64]*Event, len(claims))
	ids := make([]any, 0, len(claims))
	for _, c := range claims {
		byRow[c.Event.ID] = c.Event
		ids = append(ids, c.Event.ID)
	}
	for start := 0; start < len(ids); start += maxLookup {
		chunk := ids[start:min(start+maxLookup, len(ids))]
		rows, err := db.r.QueryContext(ctx, `SELECT event_row, encoding, data FROM payloads
			WHERE event_row IN (`+placeholders(len(chunk))+`)`, chunk...)
		if err != nil {
			return fmt.Errorf("read payloads: %w", translate(err))
		}
		err = scanRows(rows, func(rows *sql.Rows) error {
			var row int64
			var encoding string
			var data []byte
			if err := rows.Scan(&row, &encoding, &data); err != nil {
				return err
			}
			raw, err := db.decodePayload(ctx, encoding, data)
			if err != nil {
				return fmt.Errorf("event %d: %w", row, err)
			}
			byRow[row].Payload = raw
			return nil
		})
		if err != nil {
			return fmt.Errorf("read payloads: %w", err)
		}
	}
	return nil
}
