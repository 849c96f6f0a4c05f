/*
 * Tributary connector ABI, version 1.1.
 *
 * This pure C header is the whole contract between the Tributary host and a connector
 * plugin (a shared object). Nothing else crosses the boundary: only fixed-width integers,
 * {pointer,length} strings, opaque handles and function pointers. No exception, no C++
 * type, no allocator crosses it; each side frees only what it allocated.
 *
 * Versioning (see docs/connector-abi.md):
 *  - TRIBUTARY_ABI_VERSION is (major << 16) | minor. The host refuses a plugin built for
 *    another major, or for a newer minor than it knows.
 *  - Structs only ever grow at the end, and a minor version may add fields or host
 *    functions there. Every struct starts with (or carries) a uint32_t struct_size, set by
 *    its producer to sizeof() as it was compiled; a reader never touches a field that lies
 *    beyond the struct_size it was given. tests/unit/sdk/AbiLayoutTest pins every released
 *    offset, so an accidental change fails the build.
 *  - An incompatible change gets new names (tributary_connector_entry_v2, ..._v2 structs).
 *  - 1.1 (marked "1.1:" below) adds stream flags, a state carried from run to run,
 *    streams discovered per instance, links between records and the columns they own,
 *    follow-up jobs, run statistics, keys-only records and actions, and (marked "1.1 http:")
 *    the HTTP client's rate-limit classes, retry rules, idempotent and classed requests and
 *    report_rate_limit, and (marked "1.1 auth:") the credentials the host adds to every request:
 *    the auth types a connector accepts, the REFRESH_AUTH rule, TRIBUTARY_HTTP_NO_AUTH and
 *    get_auth_value. 1.1 is released: this header is frozen (tests/plugins/fixtures/abi-1.1/ keeps
 *    its copy, and the test sdk.abi.frozen_1_1 fails when a declaration of it changes), and what
 *    comes next is 1.2, which may only add. A plugin built against the 1.0 or the 1.1 header keeps
 *    loading and syncing unchanged.
 *
 * Ownership words used below:
 *  - "plugin-owned, static": lives in the plugin's read-only data; valid while the
 *    library is loaded.
 *  - "borrowed for the call": the callee may read it only until the function returns; copy
 *    what you need.
 *  - "host-owned": allocated by the host; the comment says how long it stays valid and
 *    how it is released.
 *
 * Threading: the host may create several instances of one plugin and use them at once on
 * different threads, but it calls the hooks of ONE instance from one thread at a time.
 * Anything the plugin shares between instances (globals, caches) is the plugin's to guard.
 * Host functions taking a tributary_host_ctx may be called only on the thread running the
 * hook that received that ctx, and only until that hook returns.
 */
#ifndef TRIBUTARY_CONNECTOR_ABI_H
#define TRIBUTARY_CONNECTOR_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------
 * Versions and the entry symbol
 * ------------------------------------------------------------------------------------- */

#define TRIBUTARY_ABI_VERSION_MAJOR 1
#define TRIBUTARY_ABI_VERSION_MINOR 1
#define TRIBUTARY_ABI_VERSION \
  ((uint32_t)(((uint32_t)TRIBUTARY_ABI_VERSION_MAJOR << 16) | (uint32_t)TRIBUTARY_ABI_VERSION_MINOR))
#define TRIBUTARY_ABI_MAJOR_OF(v) ((uint32_t)(v) >> 16)
#define TRIBUTARY_ABI_MINOR_OF(v) ((uint32_t)(v)&0xFFFFu)

/* The one symbol every plugin exports (with default visibility, extern "C"). */
#define TRIBUTARY_CONNECTOR_ENTRY_SYMBOL "tributary_connector_entry_v1"

/* Times are Unix epoch milliseconds (UTC). These mark "none". */
#define TRIBUTARY_TIME_NONE INT64_MIN
#define TRIBUTARY_TIME_MAX INT64_MAX

/* ---------------------------------------------------------------------------------------
 * Basic types
 * ------------------------------------------------------------------------------------- */

/* A UTF-8 string as {pointer, length}; NOT NUL-terminated. {NULL, 0} is the empty string
 * (and "absent" where a comment says so). Ownership is stated wherever one appears. */
typedef struct tributary_str {
  const char* data;
  uint64_t size;
} tributary_str;

/* The result of every hook and of the host functions that can fail. */
typedef int32_t tributary_result;

/* Done. For a sync hook: the stream's data for this request was delivered completely. */
#define TRIBUTARY_OK 0
/* Transient failure (network, 5xx, a vendor hiccup): the job is retried under its policy,
 * resuming from the last committed checkpoint. set_retry_after() may give the earliest
 * time for the next attempt. */
#define TRIBUTARY_RETRY 1
/* Permanent failure (bad credentials, a config error): no further attempts; the
 * connection is marked `error` and the message is shown to the operator. */
#define TRIBUTARY_FATAL 2
/* A vendor quota or rate limit: park the job until the time given with set_retry_after()
 * (required; without it the host treats WAIT as RETRY). Uses no attempt. */
#define TRIBUTARY_WAIT 3
/* The hook stopped early because is_cancelled() said so. Never OK after a cancellation:
 * OK claims completeness, and a full refresh deletes what it did not see. */
#define TRIBUTARY_CANCELLED 4

/* Opaque handles. */
/* Host-side, one per plugin instance; valid from create until destroy returns. */
typedef struct tributary_host_instance tributary_host_instance;
/* Host-side, one per hook call; valid only during that call, on its thread. */
typedef struct tributary_host_ctx tributary_host_ctx;
/* Plugin-side instance state, returned by create and freed by destroy. */
typedef struct tributary_instance tributary_instance;
/* Defined with the descriptor, below. */
struct tributary_stream_v1;

/* ---------------------------------------------------------------------------------------
 * Records (the hot path: one call per record)
 * ------------------------------------------------------------------------------------- */

/* The source reported this record as deleted; fields_json may be empty. */
#define TRIBUTARY_RECORD_DELETED 0x1u
/* 1.1: seen, no new content (fields_json and raw_json empty). The host marks the row seen
 * (so a full refresh's sweep keeps it) without rewriting it; a key it has no live row for is
 * counted in the run's `keys_only_missing` and otherwise ignored. Not with DELETED. */
#define TRIBUTARY_RECORD_KEYS_ONLY 0x2u
/* Every record flag this header knows. A 1.0 plugin's other bits are ignored; a 1.1
 * plugin's fail the run (FATAL) with a message naming the record and the bits. */
#define TRIBUTARY_RECORD_KNOWN_FLAGS (TRIBUTARY_RECORD_DELETED | TRIBUTARY_RECORD_KEYS_ONLY)

/* One record, borrowed for the emit_record call: the host copies what it needs before
 * emit_record returns, so the plugin may reuse every buffer for the next record. */
typedef struct tributary_record_v1 {
  uint32_t struct_size;    /* sizeof(tributary_record_v1) as the plugin was compiled */
  uint32_t flags;          /* TRIBUTARY_RECORD_* bits (see TRIBUTARY_RECORD_KNOWN_FLAGS) */
  tributary_str stream;    /* the stream's name as declared in the descriptor */
  tributary_str source_id; /* the record's primary key in the source; never empty */
  /* The source's own modification time (epoch ms), or TRIBUTARY_TIME_NONE when the source
   * gives none. The host's watermarks come from these, never from its clock. */
  int64_t modified_at_ms;
  /* The canonical entity's fields as one flat JSON object, already sanitized (see
   * docs/canonical-model.md and tributary/sanitize.hpp): dates "YYYY-MM-DD", timestamps
   * ISO 8601 UTC "YYYY-MM-DDTHH:MM:SS.sssZ", numerics as JSON numbers, absent/blank as
   * null; jsonb fields (a call's transcript) as JSON values. Empty for a stream with no
   * canonical entity. */
  tributary_str fields_json;
  /* The source record, whole, as JSON text (stored as `raw` JSONB and hashed). */
  tributary_str raw_json;
} tributary_record_v1;

/* A record the plugin could not map without losing meaning (the poison rule of
 * docs/canonical-model.md). Borrowed for the emit_record_error call. */
typedef struct tributary_record_error_v1 {
  uint32_t struct_size; /* sizeof(tributary_record_error_v1) as compiled */
  uint32_t reserved;    /* 0 */
  tributary_str stream;
  tributary_str source_id; /* may be empty when the source record has no usable id */
  tributary_str message;   /* what is wrong, naming the field: "amount: not a number: \"TBD\"" */
  tributary_str raw_json;  /* the source record as received (may be empty) */
} tributary_record_error_v1;

/* ---------------------------------------------------------------------------------------
 * Sync requests
 * ------------------------------------------------------------------------------------- */

#define TRIBUTARY_SYNC_INITIAL 1
#define TRIBUTARY_SYNC_INCREMENTAL 2
#define TRIBUTARY_SYNC_BACKFILL 3

/* One sync hook call covers one stream. Borrowed for the call.
 *
 * Where to start, in this order:
 *  1. cursor_json non-empty: resume strictly after that checkpoint (the opaque JSON this
 *     plugin passed to commit_checkpoint for the same stream and mode). An interrupted
 *     initial sync is resumed by calling initial_sync with its last checkpoint.
 *  2. otherwise since_ms != TRIBUTARY_TIME_NONE: records modified at or after since_ms
 *     (the host's watermark minus its overlap window; re-reading a few records is fine,
 *     the host upserts).
 *  3. otherwise: everything.
 * Backfill also restricts to the window [window_from_ms, window_to_ms) on modification
 * time and/or to the ids listed (both when both are given). A backfill has its own
 * cursor and never moves the incremental one.
 *
 * 1.1: state_json is the stream's carried state, the position that outlives a completed
 * run (a changes feed's token, a board's last position), as the plugin last gave it to
 * set_stream_state and the host committed it; empty when there is none. It is not the
 * resume cursor: a run resumed from cursor_json gets both (the state committed with that
 * cursor, or later). A requested full resync (mode initial from `sync --mode initial`, or a
 * RESYNC follow-up) starts with none, and the stored one is dropped as it starts; a backfill
 * gets it to read and cannot move it. */
typedef struct tributary_sync_request_v1 {
  uint32_t struct_size;      /* sizeof(tributary_sync_request_v1) as the host was compiled */
  uint32_t mode;             /* TRIBUTARY_SYNC_*: which hook is being called */
  tributary_str stream;      /* host-owned, borrowed for the call */
  tributary_str cursor_json; /* host-owned, borrowed for the call; empty = none */
  int64_t since_ms;          /* TRIBUTARY_TIME_NONE = none */
  int64_t window_from_ms;    /* backfill only; TRIBUTARY_TIME_NONE = unbounded below */
  int64_t window_to_ms;      /* backfill only, exclusive; TRIBUTARY_TIME_MAX = unbounded */
  const tributary_str* ids;  /* backfill only; host-owned array, borrowed for the call */
  uint64_t id_count;         /* 0 = no id filter */
  tributary_str state_json;  /* 1.1: host-owned, borrowed for the call; empty = none */
} tributary_sync_request_v1;

/* ---------------------------------------------------------------------------------------
 * 1.1: links, follow-ups and actions (their descriptors are below, with the descriptor)
 * ------------------------------------------------------------------------------------- */

/* The source reported this link as removed. */
#define TRIBUTARY_LINK_DELETED 0x1u
#define TRIBUTARY_LINK_KNOWN_FLAGS TRIBUTARY_LINK_DELETED

/* A relation between two records (HubSpot's associations, Salesforce's lookups), of a link
 * type the descriptor declares (tributary_link_type_v1). Borrowed for the emit_link call.
 * It lands in `record_links` in the same transaction as the batch it is emitted in (the
 * records since the last checkpoint), and, when its type owns a column, writes that column
 * of the `from` row alone. */
typedef struct tributary_link_v1 {
  uint32_t struct_size;  /* sizeof(tributary_link_v1) as the plugin was compiled */
  uint32_t flags;        /* TRIBUTARY_LINK_* bits; an unknown bit fails the run */
  tributary_str stream;  /* the stream being synced (the hook's) */
  tributary_str type;    /* a declared link type's name: "deal_account" */
  tributary_str from_id; /* source id of a record of the type's from_entity; never empty */
  tributary_str to_id;   /* source id of a record of the type's to_entity; never empty */
} tributary_link_v1;

/* What a follow-up job does with its stream. */
#define TRIBUTARY_FOLLOW_UP_BACKFILL 1 /* a backfill of the stream, over the window given */
#define TRIBUTARY_FOLLOW_UP_RESYNC 2   /* a full resync of the stream (an initial sync, swept) */

/* Work the host queues after the current run succeeds, as an ordinary job of the same
 * connection (de-duplicated: one pending follow-up per stream and kind; a request while one is
 * pending joins it, a backfill's window widened to cover both; one already running does not
 * count), listed in the run's result. Nothing is queued when the run fails, is cancelled or
 * waits; a retried run asks again. A stream the connection does not have, or a backfill of a
 * TRIBUTARY_STREAM_FULL_REFRESH stream, is FATAL. Borrowed for the request_follow_up call. */
typedef struct tributary_follow_up_v1 {
  uint32_t struct_size;   /* sizeof(tributary_follow_up_v1) as the plugin was compiled */
  uint32_t kind;          /* TRIBUTARY_FOLLOW_UP_* */
  tributary_str stream;   /* a stream of this connection (declared or discovered) */
  tributary_str reason;   /* one line for operators: "deals changed: re-read associations" */
  int64_t window_from_ms; /* backfill only; TRIBUTARY_TIME_NONE = unbounded below (both: all) */
  int64_t window_to_ms;   /* backfill only, exclusive; TRIBUTARY_TIME_MAX = unbounded */
} tributary_follow_up_v1;

/* One call of the action hook. Borrowed for the call. The body is a JSON object the host has
 * validated against the action's keys (no unknown field, every required one, each of its
 * type: a string, an integral number, a number, true or false), holding the declared fields
 * in the descriptor's order, with the defaults of the absent optional ones filled in. */
typedef struct tributary_action_request_v1 {
  uint32_t struct_size;    /* sizeof(tributary_action_request_v1) as the host was compiled */
  uint32_t reserved;       /* 0 */
  tributary_str action;    /* a declared action's name */
  tributary_str body_json; /* the validated body, a JSON object (host-owned, borrowed) */
} tributary_action_request_v1;

/* ---------------------------------------------------------------------------------------
 * HTTP through the host: the ONLY way a plugin reaches the network
 * ------------------------------------------------------------------------------------- */

typedef struct tributary_http_header {
  tributary_str name;
  tributary_str value;
} tributary_http_header;

/* 1.1 http: the request may be sent again without changing its effect (a search POST, a
 * GraphQL query): the host retries it as it retries a GET. Without it a POST, PUT, PATCH or
 * DELETE is sent at most once (the host never repeats it, whatever comes back). */
#define TRIBUTARY_HTTP_IDEMPOTENT 0x1u
/* 1.1 auth: the host adds no credential to this request (a pre-signed download URL, another
 * party's endpoint): without it, every request of a connection with an auth: carries it. */
#define TRIBUTARY_HTTP_NO_AUTH 0x2u
#define TRIBUTARY_HTTP_KNOWN_FLAGS (TRIBUTARY_HTTP_IDEMPOTENT | TRIBUTARY_HTTP_NO_AUTH)

/* Borrowed for the http_request call. */
typedef struct tributary_http_request_v1 {
  uint32_t struct_size; /* sizeof(tributary_http_request_v1) as the plugin was compiled */
  uint32_t timeout_ms;  /* 0 = the host's default */
  tributary_str method; /* "GET", "POST", ... */
  tributary_str url;    /* absolute http:// or https:// URL */
  const tributary_http_header* headers;
  uint64_t header_count;
  tributary_str body; /* may be empty */
  /* --- 1.1 http: the host reads these only when struct_size covers them --- */
  uint32_t flags;            /* TRIBUTARY_HTTP_* bits; an unknown bit is FATAL */
  uint32_t reserved;         /* 0 */
  tributary_str limit_class; /* a declared rate-limit class; empty = the default (the first) */
  uint64_t cost;             /* for a TRIBUTARY_RATE_LIMIT_POINTS class: points; 0 = 1 */
} tributary_http_request_v1;

/* Host-owned. Valid until http_response_free(ctx, response) or until the hook that made
 * the request returns, whichever comes first (the host frees leftovers itself). */
typedef struct tributary_http_response_v1 {
  uint32_t struct_size; /* sizeof(tributary_http_response_v1) as the host was compiled */
  int32_t status;       /* HTTP status; 0 when no response arrived (see error) */
  const tributary_http_header* headers;
  uint64_t header_count;
  tributary_str body;
  tributary_str error; /* why no response arrived (timeout, refused, TLS, ...); else empty */
} tributary_http_response_v1;

/* ---------------------------------------------------------------------------------------
 * The host API table
 * ------------------------------------------------------------------------------------- */

#define TRIBUTARY_LOG_TRACE 0
#define TRIBUTARY_LOG_DEBUG 1
#define TRIBUTARY_LOG_INFO 2
#define TRIBUTARY_LOG_WARN 3
#define TRIBUTARY_LOG_ERROR 4

/* Host services. Host-owned and static: the pointer given to create stays valid for the
 * life of the process. The table only grows at the end: before calling a function added
 * in a later minor, check struct_size (TRIBUTARY_HOST_HAS(api, field)). */
typedef struct tributary_host_api_v1 {
  uint32_t struct_size; /* sizeof(tributary_host_api_v1) as the host was compiled */
  uint32_t abi_version; /* the host's TRIBUTARY_ABI_VERSION */

  /* --- per call: ctx is the one given to the running hook --- */

  /* Emit one record (borrowed; copied before return). Returns TRIBUTARY_OK to go on; any
   * other value means the host cannot take more (its write failed, the run is being
   * stopped): return that value from the hook promptly. */
  tributary_result (*emit_record)(tributary_host_ctx* ctx, const tributary_record_v1* record);
  /* Report a poison record (borrowed; copied before return). Same return rule. */
  tributary_result (*emit_record_error)(tributary_host_ctx* ctx, const tributary_record_error_v1* error);
  /* Close a batch: the records emitted since the previous checkpoint commit together with
   * this cursor (opaque JSON text, borrowed; copied). A resumed run gets the last committed
   * cursor back in tributary_sync_request_v1.cursor_json. Same return rule. */
  tributary_result (*commit_checkpoint)(tributary_host_ctx* ctx, tributary_str stream, tributary_str cursor_json);
  /* Progress for operators: current and total items (total < 0 when unknown), and a short
   * message (borrowed). The host rate-limits what it stores; call it per page. */
  void (*report_progress)(tributary_host_ctx* ctx, int64_t current, int64_t total, tributary_str message);
  /* Non-zero once the run is cancelled or timed out: stop at the next safe point and
   * return TRIBUTARY_CANCELLED. Cheap; call it per page or per slice of a long wait. */
  int32_t (*is_cancelled)(tributary_host_ctx* ctx);
  /* The message for the result the hook is about to return (borrowed; copied). The last
   * call wins. Say what failed, where, and what to do. */
  void (*set_error)(tributary_host_ctx* ctx, tributary_str message);
  /* Earliest time (epoch ms) the host should call again: required with TRIBUTARY_WAIT,
   * optional with TRIBUTARY_RETRY (e.g. a Retry-After header). */
  void (*set_retry_after)(tributary_host_ctx* ctx, int64_t until_ms);
  /* Perform an HTTP request through the host's client (see docs/connector-abi.md, "The HTTP
   * client"). The host waits for a slot in the request's rate-limit class (shared by every job,
   * connection and host on the vendor account), sends it on a pooled keep-alive connection,
   * verifies TLS against the system's CAs (or http.ca_file), and retries what its rules say
   * to: 429, 502, 503, 504, resets and timeouts by default, with exponential backoff, full
   * jitter and Retry-After, for GET, HEAD and TRIBUTARY_HTTP_IDEMPOTENT requests only, and
   * the connector's own rules (tributary_http_rule_v1). *out_response is always set to a
   * host-owned response (see its type) and must be released with http_response_free.
   * Returns:
   *  - TRIBUTARY_OK when a response arrived that no rule retries or waits on (whatever its
   *    status: a 404, or a 503 left after the last retry);
   *  - TRIBUTARY_WAIT (1.1 plugins) when the slot, a rate-limit or a quota wait lies beyond
   *    http.max_inline_wait: the host has set the retry time and the wait's reason; return
   *    WAIT from the hook and the job is parked, using no attempt. A 1.0 plugin gets
   *    TRIBUTARY_RETRY instead, with the retry time set, and the host parks the job the same;
   *  - TRIBUTARY_RETRY when no response arrived after the retries allowed (response->error
   *    says why);
   *  - TRIBUTARY_FATAL for a request the host will never send (bad URL, scheme, flag or class),
   *    and when the server's certificate fails verification or (1.1 auth) the connection's
   *    credential cannot be used (not connected yet, its refresh refused): for these two the job
   *    fails with the host's reason, whatever the hook returns;
   *  - CANCELLED when the run was cancelled while the request waited. */
  tributary_result (*http_request)(tributary_host_ctx* ctx, const tributary_http_request_v1* request,
                                   const tributary_http_response_v1** out_response);
  void (*http_response_free)(tributary_host_ctx* ctx, const tributary_http_response_v1* response);

  /* --- per instance: instance is the handle given to create --- */

  /* Log a line (borrowed) at a TRIBUTARY_LOG_* level. The host adds the connector and
   * connection names. Never log secrets. Callable from any thread of this instance. */
  void (*log)(tributary_host_instance* instance, int32_t level, tributary_str message);
  /* Read a setting. Returns 1 and sets *out_value (host-owned, valid until destroy) when
   * the key has a value (including its declared default), else 0 and sets it empty.
   * Secret keys are not readable here. */
  int32_t (*get_config)(tributary_host_instance* instance, tributary_str key, tributary_str* out_value);
  /* Read a secret (a key declared with TRIBUTARY_CONFIG_SECRET). Same contract. */
  int32_t (*get_secret)(tributary_host_instance* instance, tributary_str key, tributary_str* out_value);

  /* --- 1.1: per call (check with TRIBUTARY_HOST_HAS before calling) ---
   * Each returns TRIBUTARY_OK, or another result for the hook to return promptly (the same
   * rule as emit_record); a bad argument is FATAL with set_error's message naming it. */

  /* Set the stream's carried state (JSON text, borrowed; copied; at most 64 KiB; JSON null
   * clears it). It is committed with the next commit_checkpoint of the stream (in the same
   * transaction as that checkpoint's cursor, so a run resumed from the cursor gets this state),
   * or when the hook returns OK, whichever comes first, and the next run of the stream receives
   * it in tributary_sync_request_v1.state_json. Dropped when the hook fails before either; a
   * later call before then replaces it. FATAL for a stream other than the hook's, during a
   * backfill, and in check (not available). */
  tributary_result (*set_stream_state)(tributary_host_ctx* ctx, tributary_str stream, tributary_str state_json);
  /* Emit a link (borrowed; copied): it commits with the batch, like a record. */
  tributary_result (*emit_link)(tributary_host_ctx* ctx, const tributary_link_v1* link);
  /* Ask for a follow-up job (borrowed; copied), queued when the run succeeds. */
  tributary_result (*request_follow_up)(tributary_host_ctx* ctx, const tributary_follow_up_v1* follow_up);
  /* Add delta to the run's counter `name` ([a-z0-9_.], at most 64 bytes; at most 100 names of
   * counters and facts together per run): stored in sync_runs.metadata.plugin.counters and the
   * job's result (plugin.counters), and shown by `tributary jobs show`. A run covers its job's
   * attempts: a retried attempt adds to what the earlier ones stored (with progress and at
   * their end). Also during check. */
  tributary_result (*add_run_counter)(tributary_host_ctx* ctx, tributary_str name, int64_t delta);
  /* Set the run's fact `name` (same names) to a JSON value (borrowed; at most 4 KiB; the last
   * call wins, across attempts too): metadata.plugin.facts. */
  tributary_result (*set_run_fact)(tributary_host_ctx* ctx, tributary_str name, tributary_str value_json);
  /* During discover only: one stream of the instance (borrowed; copied), validated as a
   * declared one is. */
  tributary_result (*declare_stream)(tributary_host_ctx* ctx, const struct tributary_stream_v1* stream);
  /* During action only: the action's result, a JSON value (borrowed; copied; last call wins;
   * at most 1 MiB, no \u0000 in its strings, which PostgreSQL cannot store). An action that
   * returns OK without calling it has the result null. */
  tributary_result (*set_action_result)(tributary_host_ctx* ctx, tributary_str result_json);

  /* 1.1 http: the vendor's own count of what is left of a rate-limit class, as read from a
   * response (X-HubSpot-RateLimit-Remaining, Sforce-Limit-Info, monday's complexity):
   * `remaining` requests (points for a POINTS class) until reset_at_ms (TRIBUTARY_TIME_NONE:
   * the class's window from now). The host only ever tightens the shared budget with it:
   * requests are spread over what is left, and none is sent before reset_at_ms once
   * remaining is 0. An undeclared class is FATAL. Also during check and action. */
  tributary_result (*report_rate_limit)(tributary_host_ctx* ctx, tributary_str limit_class, int64_t remaining,
                                        int64_t reset_at_ms);

  /* 1.1 auth: a value of the connection's credential that is not itself a secret: for oauth2,
   * a field of the vendor's token answer besides the tokens (Salesforce's "instance_url", Gong's
   * "api_base_url_for_customer"), as of the token in use, so read it per hook (a refresh may
   * change it). The host first makes sure the credential is usable (refreshing an expired token,
   * which may take a request), so call it before the request that needs the value. Sets
   * *out_value (host-owned, valid until the hook returns; empty when the answer had no such
   * field) and returns OK; FATAL when the connection's auth is not oauth2, is not connected yet
   * (`tributary oauth authorize`) or the vendor refused its refresh, or for "access_token",
   * "refresh_token" and "id_token" (the host adds the token to requests; a plugin never holds
   * it); RETRY when a refresh failed for now; CANCELLED when the run was cancelled meanwhile. */
  tributary_result (*get_auth_value)(tributary_host_ctx* ctx, tributary_str name, tributary_str* out_value);
} tributary_host_api_v1;

/* True when the struct at `p` (which carries struct_size) holds `field`, for fields added
 * after 1.0: a reader never touches a field beyond the struct_size it was given. */
#define TRIBUTARY_STRUCT_HAS(p, field) \
  ((p)->struct_size >= (uint32_t)((const char*)&(p)->field - (const char*)(p)) + (uint32_t)sizeof((p)->field))
/* True when the host table has the function `field` (for functions added after 1.0). */
#define TRIBUTARY_HOST_HAS(api, field) TRIBUTARY_STRUCT_HAS(api, field)

/* ---------------------------------------------------------------------------------------
 * The descriptor (everything below is plugin-owned, static)
 * ------------------------------------------------------------------------------------- */

/* 1.1 stream flags. */
/* Initial and incremental reads deliver the stream's records in ascending modified_at_ms.
 * The host then keeps the watermark of an initial sync (no lowering to its first batch);
 * a record older than the one before it is logged, and that run is treated as unordered. */
#define TRIBUTARY_STREAM_MODIFICATION_ORDER 0x1u
/* The stream can only be read whole (a source with no change feed): every run of it is a
 * full refresh (an initial sync whose end marks the rows it did not see deleted), and a
 * backfill of it is refused, naming the stream. */
#define TRIBUTARY_STREAM_FULL_REFRESH 0x2u
/* Every stream flag this header knows; a stream with another bit refuses the plugin (or,
 * discovered, fails the discovery) naming the stream and the bits. */
#define TRIBUTARY_STREAM_KNOWN_FLAGS (TRIBUTARY_STREAM_MODIFICATION_ORDER | TRIBUTARY_STREAM_FULL_REFRESH)

/* A stream. The entity names a canonical table (deals, contacts, accounts, calls,
 * documents, tasks) or is "" for the generic records table. */
typedef struct tributary_stream_v1 {
  uint32_t struct_size;     /* sizeof(tributary_stream_v1); the same for every element */
  uint32_t flags;           /* 1.1: TRIBUTARY_STREAM_* bits (1.0: reserved, 0) */
  const char* name;         /* NUL-terminated, unique within the connector: "deals" */
  const char* primary_key;  /* the source field holding source_id: "id" */
  const char* cursor_field; /* the source field holding the modification time: "updatedAt" */
  const char* entity;       /* canonical entity or "" */
  const char* description;  /* one line, may be "" */
} tributary_stream_v1;

#define TRIBUTARY_CONFIG_STRING 1
#define TRIBUTARY_CONFIG_INTEGER 2
#define TRIBUTARY_CONFIG_NUMBER 3
#define TRIBUTARY_CONFIG_BOOLEAN 4

#define TRIBUTARY_CONFIG_REQUIRED 0x1u
#define TRIBUTARY_CONFIG_SECRET 0x2u /* read with get_secret only; never logged or shown */

/* One setting a connection may give. The host rejects unknown keys, missing required
 * keys and wrong types before create is ever called with them. */
typedef struct tributary_config_key_v1 {
  uint32_t struct_size;      /* sizeof(tributary_config_key_v1); the same for every element */
  uint32_t type;             /* TRIBUTARY_CONFIG_STRING .. BOOLEAN */
  uint32_t flags;            /* TRIBUTARY_CONFIG_REQUIRED | TRIBUTARY_CONFIG_SECRET */
  uint32_t reserved;         /* 0 */
  const char* key;           /* NUL-terminated: "page_size" */
  const char* default_value; /* its text form ("100", "true"), or NULL for none */
  const char* description;   /* one line for operators */
} tributary_config_key_v1;

/* 1.1: a kind of link between records of two canonical entities (not ""). When `column`
 * is set, the link owns that text column of from_entity's table ("account_id" of deals or
 * contacts): every row upsert of this connection leaves it alone (a value for it in
 * fields_json is ignored, and counted), a new row takes it from the links already stored, and
 * a link of this type writes it alone, to_id's value (a removed link that it still holds hands
 * it to the row's newest other live link of the type, or clears it). At most one link type owns
 * a column; the column holds one to_id per from row, the last one committed. */
typedef struct tributary_link_type_v1 {
  uint32_t struct_size;    /* sizeof(tributary_link_type_v1); the same for every element */
  uint32_t flags;          /* reserved, 0 */
  const char* name;        /* NUL-terminated [a-z0-9_], unique: "deal_account" */
  const char* from_entity; /* canonical entity: "deals" */
  const char* to_entity;   /* canonical entity: "accounts" */
  const char* column;      /* a text column of from_entity's table it owns, or NULL / "" */
  const char* description; /* one line, may be "" */
} tributary_link_type_v1;

/* 1.1 action flags. */
/* Running the action twice does what running it once does: the host may retry it under
 * the job's policy (queue.retry.action, else queue.retry.default). Without it an action is
 * tried once: the job gets max_attempts 1, a RETRY fails it (saying it was not retried), and a
 * worker lost during it is not run again. */
#define TRIBUTARY_ACTION_IDEMPOTENT 0x1u
#define TRIBUTARY_ACTION_KNOWN_FLAGS TRIBUTARY_ACTION_IDEMPOTENT

/* 1.1: an action the plugin can perform on the source (write-back), run by the host as a job
 * of kind `action` (`tributary actions run`). The body is a JSON object whose fields are
 * declared as settings are (types, REQUIRED, defaults; SECRET is not allowed, and a default
 * must be of its field's type): the host refuses an unknown field, a missing required one or
 * a wrong type before the hook runs, when the action is queued and again when it runs. */
typedef struct tributary_action_v1 {
  uint32_t struct_size;                     /* sizeof(tributary_action_v1); the same for each */
  uint32_t flags;                           /* TRIBUTARY_ACTION_* bits */
  const char* name;                         /* NUL-terminated [a-z0-9_], unique */
  const char* description;                  /* one line */
  const tributary_config_key_v1* body_keys; /* array, like config_keys; may be NULL if none */
  uint32_t body_key_count;
  uint32_t reserved; /* 0 */
} tributary_action_v1;

/* 1.1 http: rate-limit classes. The host spaces a class's requests evenly over its window
 * (no burst), so that no window of the vendor's sees more than the effective budget: the
 * declared (or the operator's `rate_limit:` override) budget times the headroom (0.9 by
 * default). The budget belongs to the vendor account: every job, connection and host using
 * the same account shares it, through the database. */
/* `requests` counts points: each request gives its cost (tributary_http_request_v1.cost). */
#define TRIBUTARY_RATE_LIMIT_POINTS 0x1u
/* A quota over a long window (a day's requests): used in bursts, not spaced; once spent, a
 * request waits (the job parks, wait_reason quota) until enough of it refills. */
#define TRIBUTARY_RATE_LIMIT_QUOTA 0x2u
/* Counts every request of the connection, whatever class it names (an account-wide daily
 * quota, an app-wide burst limit) besides that class. */
#define TRIBUTARY_RATE_LIMIT_EVERY_REQUEST 0x4u
#define TRIBUTARY_RATE_LIMIT_KNOWN_FLAGS \
  (TRIBUTARY_RATE_LIMIT_POINTS | TRIBUTARY_RATE_LIMIT_QUOTA | TRIBUTARY_RATE_LIMIT_EVERY_REQUEST)

typedef struct tributary_rate_limit_v1 {
  uint32_t struct_size;    /* sizeof(tributary_rate_limit_v1); the same for every element */
  uint32_t flags;          /* TRIBUTARY_RATE_LIMIT_* bits */
  const char* name;        /* NUL-terminated [a-z0-9_], unique; not "account" or "headroom" */
  uint64_t requests;       /* requests (points for a POINTS class) per per_ms; at least 1 */
  int64_t per_ms;          /* the window, at least 1 ms: HubSpot's rest is 100 per 10000 */
  const char* description; /* one line, may be "" */
} tributary_rate_limit_v1;

/* 1.1 http: what a retry rule does with a response it matches. */
/* Transient (a vendor's "try again"): back off (exponential, full jitter, at least the
 * Retry-After) and send it again, if the request may be repeated; else return it. */
#define TRIBUTARY_HTTP_RULE_RETRY 1
/* A rate limit was hit: the class's shared budget waits (Retry-After, else wait_ms, else the
 * backoff) and the request is sent again; beyond http.max_inline_wait the job is parked
 * (wait_reason rate_limit). */
#define TRIBUTARY_HTTP_RULE_RATE_LIMIT 2
/* A quota is spent: the job is parked (wait_reason quota, no attempt used) until Retry-After,
 * else the reset the plugin reported for the class, else wait_ms, else http.quota_recheck
 * doubled at each quota wait in a row (a rolling quota is re-checked with backoff). */
#define TRIBUTARY_HTTP_RULE_QUOTA 3

/* 1.1 auth: the connection's oauth2 access token was refused as expired or revoked
 * (Salesforce's 401 INVALID_SESSION_ID): the host refreshes it once, however many jobs and hosts
 * see it at once (see get_auth_value), and sends the request again with the new token, whatever
 * its method (a request refused for its credential had no effect). A second refusal is returned.
 * Only for a connector that declares TRIBUTARY_AUTH_OAUTH2; no limit_class. No default: some
 * vendors' 401 is no refresh signal (HubSpot refreshes by the token's expiry, which the host does
 * ahead of time for every oauth2 connection whose token answer gives expires_in). */
#define TRIBUTARY_HTTP_RULE_REFRESH_AUTH 4

/* A vendor signal the host's defaults do not know: HubSpot's 423 and 477, Drive's 403
 * userRateLimitExceeded, Salesforce's 403 REQUEST_LIMIT_EXCEEDED, monday's and Fireflies'
 * errors inside a 200. The connector's rules are tried in order before the defaults (429:
 * RATE_LIMIT; 502, 503, 504: RETRY); the first that matches decides. */
typedef struct tributary_http_rule_v1 {
  uint32_t struct_size; /* sizeof(tributary_http_rule_v1); the same for every element */
  uint32_t action;      /* TRIBUTARY_HTTP_RULE_* */
  int32_t status;       /* the HTTP status it matches, 100..599 */
  uint32_t reserved;    /* 0 */
  /* NULL or "": any body of that status. Else the body must hold it: as a string value at
   * any depth of a JSON body ("REQUEST_LIMIT_EXCEEDED", "ComplexityException"), or as text
   * of any other body. */
  const char* error_code;
  /* RATE_LIMIT and QUOTA: the declared class whose budget waits; NULL or "": the request's. */
  const char* limit_class;
  /* The wait when the response carries no Retry-After; 0: the host's (see the actions). */
  int64_t wait_ms;
  const char* description; /* one line: "HubSpot's daily limit"; may be "" */
} tributary_http_rule_v1;

/* 1.1 auth: the kinds of credential the host adds to a connection's requests. */
/* A static token: "Authorization: Bearer TOKEN" (a private-app token, an API key sent so). */
#define TRIBUTARY_AUTH_BEARER 1
/* "Authorization: Basic base64(username:password)" (Gong's access key and secret). */
#define TRIBUTARY_AUTH_BASIC 2
/* A key in a header (param_name: "X-API-Key") or, with TRIBUTARY_AUTH_IN_QUERY, in a query
 * parameter (param_name: "hapikey"). */
#define TRIBUTARY_AUTH_API_KEY 3
/* OAuth 2.0: the authorization code grant (`tributary oauth authorize`), then refresh tokens;
 * the access token is sent as "Authorization: Bearer TOKEN". The host keeps the tokens sealed in
 * the database, refreshes them by their expiry ahead of time and on a REFRESH_AUTH rule, once
 * across every job and host, and stores a rotated refresh token before using it. */
#define TRIBUTARY_AUTH_OAUTH2 4

/* API_KEY: a query parameter, not a header. */
#define TRIBUTARY_AUTH_IN_QUERY 0x1u
/* OAUTH2: the authorize URL carries a PKCE (RFC 7636) S256 code challenge. */
#define TRIBUTARY_AUTH_PKCE 0x2u
/* OAUTH2: the token endpoint takes the client's id and secret as HTTP Basic (Gong), not as the
 * form fields client_id and client_secret (HubSpot, Salesforce, Google). */
#define TRIBUTARY_AUTH_CLIENT_BASIC 0x4u
#define TRIBUTARY_AUTH_KNOWN_FLAGS (TRIBUTARY_AUTH_IN_QUERY | TRIBUTARY_AUTH_PKCE | TRIBUTARY_AUTH_CLIENT_BASIC)

/* One kind of credential the connector accepts; each type at most once. The URLs are the
 * vendor's production ones: a connection's auth: may override them (a sandbox, a simulator). */
typedef struct tributary_auth_v1 {
  uint32_t struct_size; /* sizeof(tributary_auth_v1); the same for every element */
  uint32_t type;        /* TRIBUTARY_AUTH_* */
  uint32_t flags;       /* TRIBUTARY_AUTH_* flag bits */
  uint32_t reserved;    /* 0 */
  /* API_KEY: the header or query parameter (required). BEARER, OAUTH2: the header, NULL or "" for
   * "Authorization". BASIC: NULL. */
  const char* param_name;
  /* BEARER, OAUTH2: what precedes the token, NULL for "Bearer " ("" for nothing). API_KEY: NULL or
   * a prefix ("Token "). BASIC: NULL. */
  const char* value_prefix;
  const char* authorize_url;    /* OAUTH2: the vendor's authorize endpoint (https) */
  const char* token_url;        /* OAUTH2: where codes are exchanged and tokens refreshed */
  const char* scopes;           /* OAUTH2: the default scopes, space-separated; may be "" */
  const char* authorize_params; /* OAUTH2: more of the authorize URL's query ("access_type=offline"), or NULL */
  const char* description;      /* one line, may be "" */
} tributary_auth_v1;

typedef struct tributary_connector_v1 {
  uint32_t abi_version; /* TRIBUTARY_ABI_VERSION the plugin was built with */
  uint32_t struct_size; /* sizeof(tributary_connector_v1) as the plugin was compiled */
  /* Dotted, unique, lowercase [a-z0-9_] parts: "tributary.hubspot". The last part is the
   * short name and the default connection name. */
  const char* name;
  const char* version;     /* the plugin's own version: "1.4.2" */
  const char* description; /* one line */

  /* Arrays: element i is at (const char*)array + i * array[0].struct_size. */
  const tributary_stream_v1* streams;
  uint32_t stream_count;
  uint32_t config_key_count;
  const tributary_config_key_v1* config_keys;

  /* Make an instance. `host` and `instance` stay valid until destroy returns; keep them.
   * Settings are read through host->get_config / get_secret. On success return
   * TRIBUTARY_OK and set *out; otherwise set_error(ctx, ...) and return RETRY or FATAL.
   * The host has already validated the settings' keys and types against the schema.
   * create must do no I/O and must succeed with the declared defaults alone: the host
   * probes every plugin at load with create + destroy and no connection settings. Deeper
   * validation (ranges, credentials, connectivity) belongs in check. */
  tributary_result (*create)(const tributary_host_api_v1* host, tributary_host_instance* instance,
                             tributary_host_ctx* ctx, tributary_instance** out);
  /* Free an instance made by create. Never fails. */
  void (*destroy)(tributary_instance* self);
  /* Validate settings, credentials and connectivity; runs before every sync. */
  tributary_result (*check)(tributary_instance* self, tributary_host_ctx* ctx);
  /* The sync hooks, one stream per call. Emit records, commit a checkpoint after each page,
   * return OK when the request is complete. */
  tributary_result (*initial_sync)(tributary_instance* self, tributary_host_ctx* ctx,
                                   const tributary_sync_request_v1* request);
  tributary_result (*incremental_sync)(tributary_instance* self, tributary_host_ctx* ctx,
                                       const tributary_sync_request_v1* request);
  tributary_result (*backfill)(tributary_instance* self, tributary_host_ctx* ctx,
                               const tributary_sync_request_v1* request);

  /* --- 1.1: the host reads these only when struct_size covers them --- */

  /* The instance's streams, found by I/O (a database's tables), or NULL for the descriptor's
   * list. Call host->declare_stream once per stream and return OK. Like check it may do I/O;
   * the host runs it in a worker, never in the API process, before each sync and on demand
   * (`tributary connections discover`), and stores the result per connection. */
  tributary_result (*discover)(tributary_instance* self, tributary_host_ctx* ctx);
  /* The link types this connector emits (array, like streams). */
  const tributary_link_type_v1* link_types;
  uint32_t link_type_count;
  uint32_t action_count;
  /* The actions it performs (array, like streams), run by the action hook. */
  const tributary_action_v1* actions;
  /* Perform one action: call host->set_action_result with its result and return OK, or
   * set_error and return RETRY, FATAL, WAIT (with set_retry_after: the job is parked, using no
   * attempt) or CANCELLED, as a sync hook does. Available during it: http_request,
   * is_cancelled, report_progress, add_run_counter, set_run_fact and set_action_result; the
   * record, checkpoint, link, state and follow-up functions fail the call. NULL when
   * action_count is 0. */
  tributary_result (*action)(tributary_instance* self, tributary_host_ctx* ctx,
                             const tributary_action_request_v1* request);

  /* --- 1.1 http --- */
  /* The vendor's rate limits (array, like streams); the first is the default class of a
   * request naming none. None: the host limits nothing (the operator has no class to override). */
  const tributary_rate_limit_v1* rate_limits;
  uint32_t rate_limit_count;
  uint32_t http_rule_count;
  /* The vendor's other signals (array, like streams), tried before the host's defaults. */
  const tributary_http_rule_v1* http_rules;

  /* --- 1.1 auth --- */
  uint32_t auth_count;
  uint32_t reserved_auth; /* 0 */
  /* The credentials the connector accepts (array, like streams); a connection picks one with its
   * auth: section (auth.type), and the host adds it to every request of the connection. None: a
   * connection may not have auth: (the plugin reads its own secret settings). */
  const tributary_auth_v1* auths;
} tributary_connector_v1;

/* The entry point: returns the plugin's descriptor (plugin-owned, static; the same pointer
 * on every call), or NULL if the plugin cannot describe itself. Must not fail otherwise,
 * block, or call the host. */
typedef const tributary_connector_v1* (*tributary_connector_entry_v1_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TRIBUTARY_CONNECTOR_ABI_H */
