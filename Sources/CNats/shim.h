#ifndef DISTILLWATCH_CNATS_SHIM_H
#define DISTILLWATCH_CNATS_SHIM_H
// The few JetStream calls DistillWatch makes, with the option structs filled in here: Swift
// then passes strings and numbers only. Every function returns a natsStatus; on failure
// `nats_GetLastError` says why.
#include <nats/nats.h>
#include <string.h>

typedef struct dw_bus {
    natsConnection *nc;
    jsCtx *js;
    // Records the stream refused after an asynchronous publish (counted by the handler below).
    int64_t failed;
} dw_bus;

static void dw_bus_publish_failed(jsCtx *js, jsPubAckErr *pae, void *closure) {
    (void)js; (void)pae;
    __atomic_add_fetch(&((dw_bus *)closure)->failed, 1, __ATOMIC_RELAXED);
}

// Connects (giving up after `wait_ms`: a wrong address fails at once, plainly) and opens a
// JetStream context. Once connected, a lost connection is retried for ever: a watcher
// outlives a restarted server.
static inline natsStatus dw_bus_connect(dw_bus *b, const char *url, int64_t wait_ms) {
    natsOptions *o = NULL;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK) s = natsOptions_SetURL(o, url);
    if (s == NATS_OK) s = natsOptions_SetTimeout(o, wait_ms > 0 ? wait_ms : 2000);
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(o, -1);
    natsConnection *nc = NULL;
    if (s == NATS_OK) s = natsConnection_Connect(&nc, o);
    if (s == NATS_OK) b->nc = nc;
    natsOptions_Destroy(o);
    if (s == NATS_OK) {
        jsOptions jo;
        jsOptions_Init(&jo);
        jo.Wait = 10000;
        jo.PublishAsync.MaxPending = 4096;
        jo.PublishAsync.StallWait = 30000;
        jo.PublishAsync.ErrHandler = dw_bus_publish_failed;
        jo.PublishAsync.ErrHandlerClosure = b;
        s = natsConnection_JetStream(&b->js, b->nc, &jo);
    }
    return s;
}

static inline void dw_bus_close(dw_bus *b) {
    if (b->js) jsCtx_Destroy(b->js);
    if (b->nc) { natsConnection_FlushTimeout(b->nc, 2000); natsConnection_Destroy(b->nc); }
    b->js = NULL; b->nc = NULL;
}

// Makes a file-backed stream holding the `subjects_len` `subjects` with `description` unless
// one of that name exists; either way the stream's description is copied into `found` (at most
// `found_len`), and `same_subjects` says whether the stream holds exactly those subjects, in
// that order. With `allow_direct`, a new stream answers reads by sequence
// (dw_bus_next_message); `direct` says whether the stream (new or not) does.
static inline natsStatus dw_bus_ensure_stream(dw_bus *b, const char *name, const char **subjects, int subjects_len,
                                              int64_t duplicate_window_ms, int allow_direct, const char *description,
                                              char *found, int found_len, int *direct, int *same_subjects) {
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    found[0] = 0;
    natsStatus s = js_GetStreamInfo(&si, b->js, name, NULL, &jerr);
    if (s == NATS_NOT_FOUND) {
        jsStreamConfig c;
        jsStreamConfig_Init(&c);
        c.Name = name;
        c.Description = description;
        c.Subjects = subjects;
        c.SubjectsLen = subjects_len;
        c.Storage = js_FileStorage;
        c.Duplicates = duplicate_window_ms * 1000000LL;
        c.AllowDirect = allow_direct != 0;
        s = js_AddStream(&si, b->js, &c, NULL, &jerr);
    }
    if (s == NATS_OK) {
        *direct = si->Config && si->Config->AllowDirect ? 1 : 0;
        *same_subjects = si->Config && si->Config->SubjectsLen == subjects_len;
        for (int i = 0; *same_subjects && i < subjects_len; i++) {
            *same_subjects = si->Config->Subjects[i] && strcmp(si->Config->Subjects[i], subjects[i]) == 0;
        }
        if (si->Config && si->Config->Description) {
            strncpy(found, si->Config->Description, (size_t)found_len - 1);
            found[found_len - 1] = 0;
        }
        jsStreamInfo_Destroy(si);
    }
    return s;
}

// The stream's last sequence number (0 when empty).
static inline natsStatus dw_bus_last_sequence(dw_bus *b, const char *stream, int64_t wait_ms, uint64_t *last) {
    jsStreamInfo *si = NULL;
    jsOptions o;
    jsOptions_Init(&o);
    o.Wait = wait_ms;
    natsStatus s = js_GetStreamInfo(&si, b->js, stream, wait_ms > 0 ? &o : NULL, NULL);
    if (s == NATS_OK) { *last = si->State.LastSeq; jsStreamInfo_Destroy(si); }
    return s;
}

// A message for `subject`. `msg_id` (may be NULL) lets the stream drop a repeat within its
// duplicate window; `source`, `line` and one more header (`key`: `value`) are set when given.
static inline natsStatus dw_bus_message(natsMsg **m, const char *subject, const void *data, int len,
                                        const char *msg_id, const char *source, const char *line,
                                        const char *key, const char *value) {
    natsStatus s = natsMsg_Create(m, subject, NULL, (const char *)data, len);
    if (s == NATS_OK && msg_id) s = natsMsgHeader_Set(*m, "Nats-Msg-Id", msg_id);
    if (s == NATS_OK && source) s = natsMsgHeader_Set(*m, "Dw-Source", source);
    if (s == NATS_OK && line) s = natsMsgHeader_Set(*m, "Dw-Line", line);
    if (s == NATS_OK && key && value) s = natsMsgHeader_Set(*m, key, value);
    return s;
}

// Publishes and waits for the stream's acknowledgement; `duplicate` says whether the stream
// had the message already.
static inline natsStatus dw_bus_publish(dw_bus *b, const char *subject, const void *data, int len,
                                        const char *msg_id, const char *source, const char *line,
                                        const char *key, const char *value, int *duplicate) {
    natsMsg *m = NULL;
    natsStatus s = dw_bus_message(&m, subject, data, len, msg_id, source, line, key, value);
    jsPubAck *ack = NULL;
    if (s == NATS_OK) s = js_PublishMsg(&ack, b->js, m, NULL, NULL);
    if (s == NATS_OK && duplicate) *duplicate = ack->Duplicate ? 1 : 0;
    if (ack) jsPubAck_Destroy(ack);
    natsMsg_Destroy(m);
    return s;
}

// The same without waiting: acknowledgements are awaited together by dw_bus_publish_complete.
static inline natsStatus dw_bus_publish_async(dw_bus *b, const char *subject, const void *data, int len,
                                              const char *msg_id, const char *source, const char *line,
                                              const char *key, const char *value) {
    natsMsg *m = NULL;
    natsStatus s = dw_bus_message(&m, subject, data, len, msg_id, source, line, key, value);
    if (s == NATS_OK) s = js_PublishMsgAsync(b->js, &m, NULL);
    if (m) natsMsg_Destroy(m);
    return s;
}

static inline natsStatus dw_bus_publish_complete(dw_bus *b, int64_t wait_ms) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = wait_ms;
    return js_PublishAsyncComplete(b->js, &po);
}

// A durable pull consumer of `subject` on `stream`, acknowledged one message at a time.
// A message not acknowledged within `ack_wait_ms` goes to whoever fetches next.
static inline natsStatus dw_bus_pull(dw_bus *b, natsSubscription **sub, const char *stream,
                                     const char *subject, const char *durable, int64_t ack_wait_ms) {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream;
    // An existing consumer (a partition taken over) keeps its place; only its ack wait may change.
    jsConsumerInfo *ci = NULL;
    if (js_GetConsumerInfo(&ci, b->js, stream, durable, NULL, NULL) == NATS_OK) {
        natsStatus s = NATS_OK;
        if (ci->Config->AckWait != ack_wait_ms * 1000000LL) {
            jsConsumerInfo *updated = NULL;
            ci->Config->AckWait = ack_wait_ms * 1000000LL;
            s = js_UpdateConsumer(&updated, b->js, stream, ci->Config, NULL, NULL);
            if (updated) jsConsumerInfo_Destroy(updated);
        }
        jsConsumerInfo_Destroy(ci);
        if (s != NATS_OK) return s;
        so.Consumer = durable;
        return js_PullSubscribe(sub, b->js, subject, durable, NULL, &so, NULL);
    }
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.DeliverPolicy = js_DeliverAll;
    so.Config.AckWait = ack_wait_ms * 1000000LL;
    so.Config.MaxAckPending = 65536;
    return js_PullSubscribe(sub, b->js, subject, durable, NULL, &so, NULL);
}

// Consumer counts: messages not yet delivered, and delivered but not acknowledged.
static inline natsStatus dw_bus_consumer_counts(dw_bus *b, const char *stream, const char *durable,
                                                uint64_t *pending, int64_t *ack_pending) {
    jsConsumerInfo *ci = NULL;
    natsStatus s = js_GetConsumerInfo(&ci, b->js, stream, durable, NULL, NULL);
    if (s == NATS_OK) { *pending = ci->NumPending; *ack_pending = ci->NumAckPending; jsConsumerInfo_Destroy(ci); }
    return s;
}

// Takes what a pull consumer has ready, up to `batch`, without leaving a request waiting on
// the server: a waiting request that expired while the client had given up on it was seen to
// end in a corrupted heap inside the client. NATS_NOT_FOUND or NATS_TIMEOUT: nothing ready.
static inline natsStatus dw_bus_fetch_ready(natsSubscription *sub, natsMsgList *list, int batch) {
    jsFetchRequest r;
    jsFetchRequest_Init(&r);
    r.Batch = batch;
    r.NoWait = true;
    return natsSubscription_FetchRequest(list, sub, &r);
}

// The first message on `subject` at or after sequence `from`, read straight from the stream:
// one request and its answer, so nothing is left in flight to pile up in the client, and a
// message the stream no longer holds is stepped over, not waited for. NATS_NOT_FOUND: none yet.
static inline natsStatus dw_bus_next_message(dw_bus *b, natsMsg **m, const char *stream, const char *subject, uint64_t from,
                                             int64_t wait_ms) {
    jsDirectGetMsgOptions o;
    jsDirectGetMsgOptions_Init(&o);
    o.Sequence = from;
    o.NextBySubject = subject;
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = wait_ms;
    return js_DirectGetMsg(m, b->js, stream, wait_ms > 0 ? &jo : NULL, &o);
}

// Headers of each message stored on `subject` in `stream` from now on, pushed by an ordered
// consumer of the server's making: a doorbell, so a reader of the stream waits for a message
// instead of polling for one. No payloads travel, and nothing is acknowledged.
static inline natsStatus dw_bus_doorbell(dw_bus *b, natsSubscription **sub, const char *stream, const char *subject) {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream;
    so.Ordered = true;
    so.Config.HeadersOnly = true;
    so.Config.DeliverPolicy = js_DeliverNew;
    return js_SubscribeSync(sub, b->js, subject, NULL, &so, NULL);
}

// A message's sequence numbers in its stream and among its consumer's deliveries (0 if it has
// no JetStream metadata; no delivery number for a message read directly).
static inline void dw_msg_sequences(natsMsg *m, uint64_t *stream, uint64_t *delivery) {
    jsMsgMetaData *meta = NULL;
    *stream = 0; *delivery = 0;
    // A message read directly carries its stream sequence in a header instead.
    if (natsMsg_GetMetaData(&meta, m) != NATS_OK) { *stream = natsMsg_GetSequence(m); return; }
    *stream = meta->Sequence.Stream;
    *delivery = meta->Sequence.Consumer;
    jsMsgMetaData_Destroy(meta);
}

// A header's value, or NULL. Owned by the message.
static inline const char *dw_msg_header(natsMsg *m, const char *key) {
    const char *v = NULL;
    if (natsMsgHeader_Get(m, key, &v) != NATS_OK) return NULL;
    return v;
}
#endif
