package ledger

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"
)

// Dictionary training (migration 017). A webhook is small, and alone it
// compresses about 2×; compressed against a dictionary of what its
// source's events have in common (keys, object names, repeated values) it
// compresses several times better. The ledger trains one dictionary per
// source from that source's own recent payloads, off the writer, and
// compresses later payloads of the source with it.
const (
	// dictFirstAfter is how many payloads of a source are compressed
	// without a dictionary before the first one is trained.
	dictFirstAfter = 1000
	// dictRetrainAfter is how many are compressed with a source's
	// dictionary before a newer one is trained, so that the dictionary
	// follows changes in the source's payloads (a new API version).
	dictRetrainAfter = 100_000
	// dictSamples bounds the payloads a dictionary is trained on, and
	// dictMinSamples is the fewest worth training on.
	dictSamples    = 500
	dictMinSamples = 100
	// dictContent bounds the dictionary's content: the newest samples,
	// which a payload is matched against.
	dictContent = 16 << 10
	// dictLevel is the level of the dictionary encoders: with a
	// dictionary the fastest level compresses as well as the default one
	// does (a few bytes more) at a third of the CPU, most of which is
	// preparing the dictionary's tables for each payload.
	dictLevel = zstd.SpeedFastest
)

// codec compresses and decompresses payloads: one encoder per source
// with a dictionary, one decoder per dictionary, loaded on first use.
type codec struct {
	mu       sync.RWMutex
	enc      map[string]*dictEncoder
	dec      map[uint32]*zstd.Decoder
	training map[string]bool
	closed   bool // no training starts once close began

	trainers sync.WaitGroup // training goroutines, which Close waits for
}

// dictEncoder is a source's current dictionary and its encoder, with how
// many payloads were compressed since the dictionary was trained (or, for
// a source without one, since the ledger opened).
type dictEncoder struct {
	id   uint32 // 0: no dictionary
	enc  *zstd.Encoder
	used atomic.Int64
}

func newCodec() *codec {
	return &codec{enc: map[string]*dictEncoder{}, dec: map[uint32]*zstd.Decoder{}, training: map[string]bool{}}
}

// encoder returns source's encoder, creating the plain one on first use.
func (c *codec) encoder(source string) *dictEncoder {
	c.mu.RLock()
	e := c.enc[source]
	c.mu.RUnlock()
	if e != nil {
		return e
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e = c.enc[source]; e == nil {
		e = &dictEncoder{enc: zstdEnc}
		c.enc[source] = e
	}
	return e
}

// encodePayload compresses raw for source, on the caller's goroutine
// (never the writer's), and keeps it as it is when compression would not
// make it smaller. When the source has compressed enough payloads since
// its last dictionary it starts training a newer one in the background.
func (db *DB) encodePayload(source string, raw []byte) encodedPayload {
	if len(raw) == 0 || db.codec == nil {
		return encodePayload(raw)
	}
	e := db.codec.encoder(source)
	p := encodePayloadWith(e.enc, raw)
	limit := int64(dictFirstAfter)
	if e.id != 0 {
		limit = dictRetrainAfter
	}
	if e.used.Add(1) == limit {
		db.startTraining(source)
	}
	return p
}

// startTraining trains a dictionary for source on a goroutine of its own,
// unless one is being trained already or the ledger is read-only.
func (db *DB) startTraining(source string) {
	c := db.codec
	c.mu.Lock()
	if c.training[source] || c.closed || db.w == nil {
		c.mu.Unlock()
		return
	}
	c.training[source] = true
	c.trainers.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.trainers.Done()
		err := db.TrainPayloadDict(context.Background(), source)
		c.mu.Lock()
		delete(c.training, source)
		if err != nil {
			// Too few payloads yet, or the ledger closed: try again after
			// as many payloads again.
			if e := c.enc[source]; e != nil {
				e.used.Store(0)
			}
		}
		c.mu.Unlock()
	}()
}

// errFewSamples is TrainPayloadDict's error when the source has too few
// stored payloads to train on.
var errFewSamples = errors.New("too few payloads to train on")

// TrainPayloadDict trains a zstd dictionary on source's newest stored
// payloads, stores it in the ledger and compresses the source's later
// payloads with it. Reading the samples and training run on the caller's
// goroutine; the writer only inserts the dictionary's row. It returns an
// error when the source has fewer than 100 stored payloads.
func (db *DB) TrainPayloadDict(ctx context.Context, source string) error {
	samples, err := db.dictSamples(ctx, source)
	if err != nil {
		return fmt.Errorf("train payload dictionary: %w", err)
	}
	if len(samples) < dictMinSamples {
		return fmt.Errorf("train payload dictionary for %s: %w (%d)", source, errFewSamples, len(samples))
	}
	var content []byte
	for _, s := range samples { // newest first: the newest end the content
		if len(content)+len(s) > dictContent {
			break
		}
		content = append(append([]byte{}, s...), content...)
	}
	dict, err := zstd.BuildDict(zstd.BuildDictOptions{ID: 1, Contents: samples, History: content, Level: dictLevel})
	if err != nil {
		return fmt.Errorf("train payload dictionary for %s: %w", source, err)
	}
	var id int64
	err = db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM payload_dicts`).Scan(&id); err != nil {
			return err
		}
		// The format keeps the id in bytes 4 to 8, after the magic number.
		binary.LittleEndian.PutUint32(dict[4:8], uint32(id))
		_, err := tx.ExecContext(ctx, `INSERT INTO payload_dicts (id, source, created_at, samples, dict)
			VALUES (?, ?, ?, ?, ?)`, id, source, millis(db.now()), len(samples), dict)
		return err
	})
	if err != nil {
		return fmt.Errorf("train payload dictionary for %s: %w", source, translate(err))
	}
	return db.codec.install(source, uint32(id), dict)
}

// dictSamples returns the raw bytes of source's newest stored payloads,
// newest first, read from the read pool.
func (db *DB) dictSamples(ctx context.Context, source string) ([][]byte, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT p.encoding, p.data
		FROM (SELECT id FROM events WHERE source = ? ORDER BY created_at DESC LIMIT ?) e
		JOIN payloads p ON p.event_row = e.id`, source, dictSamples)
	if err != nil {
		return nil, translate(err)
	}
	var out [][]byte
	err = scanRows(rows, func(rows *sql.Rows) error {
		var encoding string
		var data []byte
		if err := rows.Scan(&encoding, &data); err != nil {
			return err
		}
		raw, err := db.decodePayload(ctx, encoding, data)
		if err == nil && len(raw) > 0 {
			out = append(out, raw)
		}
		return err
	})
	return out, err
}

// install makes dict (stored under id) source's dictionary for encoding.
func (c *codec) install(source string, id uint32, dict []byte) error {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(dictLevel), zstd.WithEncoderCRC(false),
		zstd.WithEncoderConcurrency(4), zstd.WithEncoderDict(dict))
	if err != nil {
		return fmt.Errorf("payload dictionary %d: %w", id, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.enc[source]; old != nil && old.id > id {
		enc.Close()
		return nil // a newer one is in place
	}
	c.enc[source] = &dictEncoder{id: id, enc: enc}
	return nil
}

// loadDicts installs each source's newest stored dictionary for encoding.
func (db *DB) loadDicts(ctx context.Context) error {
	rows, err := db.r.QueryContext(ctx, `SELECT id, source, dict FROM payload_dicts
		WHERE id IN (SELECT max(id) FROM payload_dicts GROUP BY source)`)
	if err != nil {
		return fmt.Errorf("load payload dictionaries: %w", translate(err))
	}
	err = scanRows(rows, func(rows *sql.Rows) error {
		var id int64
		var source string
		var dict []byte
		if err := rows.Scan(&id, &source, &dict); err != nil {
			return err
		}
		return db.codec.install(source, uint32(id), dict)
	})
	if err != nil {
		return err
	}
	return db.resumeDictCounts(ctx)
}

// resumeDictCounts carries the count toward a source's first dictionary
// over a restart: a source without one starts from the events the ledger
// already holds (capped one short of dictFirstAfter, so its next payload
// starts the training), not from zero, so that a source sending fewer than
// dictFirstAfter events between two restarts still gets its dictionary.
func (db *DB) resumeDictCounts(ctx context.Context) error {
	rows, err := db.r.QueryContext(ctx, `SELECT source, sum(n) FROM event_counts
		WHERE source NOT IN (SELECT source FROM payload_dicts) GROUP BY source`)
	if err != nil {
		return fmt.Errorf("load payload dictionaries: %w", translate(err))
	}
	return scanRows(rows, func(rows *sql.Rows) error {
		var source string
		var n int64
		if err := rows.Scan(&source, &n); err != nil {
			return err
		}
		db.codec.encoder(source).used.Store(min(n, dictFirstAfter-1))
		return nil
	})
}

// decoder returns the decoder for frames compressed with dictionary id,
// reading the dictionary from the ledger on first use (another process
// may have trained it).
func (db *DB) decoder(ctx context.Context, id uint32) (*zstd.Decoder, error) {
	c := db.codec
	c.mu.RLock()
	d := c.dec[id]
	c.mu.RUnlock()
	if d != nil {
		return d, nil
	}
	var dict []byte
	err := db.r.QueryRowContext(ctx, `SELECT dict FROM payload_dicts WHERE id = ?`, id).Scan(&dict)
	if err != nil {
		return nil, fmt.Errorf("payload dictionary %d: %w", id, translate(err))
	}
	d, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(2), zstd.WithDecoderMaxMemory(64<<20),
		zstd.WithDecoderDicts(dict))
	if err != nil {
		return nil, fmt.Errorf("payload dictionary %d: %w", id, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.dec[id]; prev != nil {
		d.Close()
		return prev, nil
	}
	c.dec[id] = d
	return d, nil
}

// decodePayload is decodePayload for frames that may name a dictionary.
func (db *DB) decodePayload(ctx context.Context, encoding string, data []byte) ([]byte, error) {
	if encoding != encodingZstd {
		return decodePayload(encoding, data)
	}
	var h zstd.Header
	if err := h.Decode(data); err != nil {
		return nil, fmt.Errorf("decode payload: %w", err)
	}
	if h.DictionaryID == 0 {
		return decodePayload(encoding, data)
	}
	d, err := db.decoder(ctx, h.DictionaryID)
	if err != nil {
		return nil, fmt.Errorf("decode payload: %w", err)
	}
	raw, err := d.DecodeAll(data, nil)
	if err != nil {
		return nil, fmt.Errorf("decode payload: %w", err)
	}
	return raw, nil
}

// close waits for the training goroutines. Encoders and decoders hold no
// goroutines of their own (EncodeAll and DecodeAll only), so they go with
// the garbage collector.
func (c *codec) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.trainers.Wait()
}
