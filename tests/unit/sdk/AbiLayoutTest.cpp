// The released layout of connector_abi.h, pinned in C++ (abi_layout_c.c pins it in C). A
// moved field fails the BUILD; the runtime tests only say that the file was compiled.
#include <cstddef>
#include <type_traits>

#include <gtest/gtest.h>

#include "tributary/connector_abi.h"

extern "C" int tributary_abi_layout_c_pinned(void);

static_assert(sizeof(void*) == 8, "the pinned layout is LP64's");
static_assert(TRIBUTARY_ABI_VERSION_MAJOR == 1, "a new major gets new struct names (_v2) and its own pins");
static_assert(std::is_standard_layout_v<tributary_connector_v1>);

/* tributary_str */
static_assert(offsetof(tributary_str, data) == 0, "tributary_str.data moved: released ABI fields never move");
static_assert(offsetof(tributary_str, size) == 8, "tributary_str.size moved: released ABI fields never move");
static_assert(sizeof(tributary_str) == 16,
              "tributary_str changed size: grow structs only at the end, in a new minor, and pin "
              "the new fields here");
/* tributary_record_v1 */
static_assert(offsetof(tributary_record_v1, struct_size) == 0,
              "tributary_record_v1.struct_size moved: released ABI fields never move");
static_assert(offsetof(tributary_record_v1, flags) == 4,
              "tributary_record_v1.flags moved: released ABI fields never move");
static_assert(offsetof(tributary_record_v1, stream) == 8,
              "tributary_record_v1.stream moved: released ABI fields never move");
static_assert(offsetof(tributary_record_v1, source_id) == 24,
              "tributary_record_v1.source_id moved: released ABI fields never move");
static_assert(offsetof(tributary_record_v1, modified_at_ms) == 40,
              "tributary_record_v1.modified_at_ms moved: released ABI fields never move");
static_assert(offsetof(tributary_record_v1, fields_json) == 48,
              "tributary_record_v1.fields_json moved: released ABI fields never move");
static_assert(offsetof(tributary_record_v1, raw_json) == 64,
              "tributary_record_v1.raw_json moved: released ABI fields never move");
static_assert(sizeof(tributary_record_v1) == 80,
              "tributary_record_v1 changed size: grow structs only at the end, in a new minor, and "
              "pin the new fields here");
/* tributary_record_error_v1 */
static_assert(offsetof(tributary_record_error_v1, struct_size) == 0,
              "tributary_record_error_v1.struct_size moved: released ABI fields never move");
static_assert(offsetof(tributary_record_error_v1, reserved) == 4,
              "tributary_record_error_v1.reserved moved: released ABI fields never move");
static_assert(offsetof(tributary_record_error_v1, stream) == 8,
              "tributary_record_error_v1.stream moved: released ABI fields never move");
static_assert(offsetof(tributary_record_error_v1, source_id) == 24,
              "tributary_record_error_v1.source_id moved: released ABI fields never move");
static_assert(offsetof(tributary_record_error_v1, message) == 40,
              "tributary_record_error_v1.message moved: released ABI fields never move");
static_assert(offsetof(tributary_record_error_v1, raw_json) == 56,
              "tributary_record_error_v1.raw_json moved: released ABI fields never move");
static_assert(sizeof(tributary_record_error_v1) == 72,
              "tributary_record_error_v1 changed size: grow structs only at the end, in a new "
              "minor, and pin the new fields here");
/* tributary_sync_request_v1 */
static_assert(offsetof(tributary_sync_request_v1, struct_size) == 0,
              "tributary_sync_request_v1.struct_size moved: released ABI fields never move");
static_assert(offsetof(tributary_sync_request_v1, mode) == 4,
              "tributary_sync_request_v1.mode moved: released ABI fields never move");
static_assert(offsetof(tributary_sync_request_v1, stream) == 8,
              "tributary_sync_request_v1.stream moved: released ABI fields never move");
static_assert(offsetof(tributary_sync_request_v1, cursor_json) == 24,
              "tributary_sync_request_v1.cursor_json moved: released ABI fields never move");
static_assert(offsetof(tributary_sync_request_v1, since_ms) == 40,
              "tributary_sync_request_v1.since_ms moved: released ABI fields never move");
static_assert(offsetof(tributary_sync_request_v1, window_from_ms) == 48,
              "tributary_sync_request_v1.window_from_ms moved: released ABI fields never move");
static_assert(offsetof(tributary_sync_request_v1, window_to_ms) == 56,
              "tributary_sync_request_v1.window_to_ms moved: released ABI fields never move");
static_assert(offsetof(tributary_sync_request_v1, ids) == 64,
              "tributary_sync_request_v1.ids moved: released ABI fields never move");
static_assert(offsetof(tributary_sync_request_v1, id_count) == 72,
              "tributary_sync_request_v1.id_count moved: released ABI fields never move");
/* tributary_sync_request_v1, 1.1 */
static_assert(offsetof(tributary_sync_request_v1, state_json) == 80,
              "tributary_sync_request_v1.state_json moved: released ABI fields never move");
static_assert(
    sizeof(tributary_sync_request_v1) == 96,
    "tributary_sync_request_v1 changed size: grow structs only at the end, in a new minor, and pin the new fields here");
/* tributary_http_header */
static_assert(offsetof(tributary_http_header, name) == 0,
              "tributary_http_header.name moved: released ABI fields never move");
static_assert(offsetof(tributary_http_header, value) == 16,
              "tributary_http_header.value moved: released ABI fields never move");
static_assert(sizeof(tributary_http_header) == 32,
              "tributary_http_header changed size: grow structs only at the end, in a new minor, "
              "and pin the new fields here");
/* tributary_http_request_v1 */
static_assert(offsetof(tributary_http_request_v1, struct_size) == 0,
              "tributary_http_request_v1.struct_size moved: released ABI fields never move");
static_assert(offsetof(tributary_http_request_v1, timeout_ms) == 4,
              "tributary_http_request_v1.timeout_ms moved: released ABI fields never move");
static_assert(offsetof(tributary_http_request_v1, method) == 8,
              "tributary_http_request_v1.method moved: released ABI fields never move");
static_assert(offsetof(tributary_http_request_v1, url) == 24,
              "tributary_http_request_v1.url moved: released ABI fields never move");
static_assert(offsetof(tributary_http_request_v1, headers) == 40,
              "tributary_http_request_v1.headers moved: released ABI fields never move");
static_assert(offsetof(tributary_http_request_v1, header_count) == 48,
              "tributary_http_request_v1.header_count moved: released ABI fields never move");
static_assert(offsetof(tributary_http_request_v1, body) == 56,
              "tributary_http_request_v1.body moved: released ABI fields never move");
static_assert(offsetof(tributary_http_request_v1, flags) == 72,
              "tributary_http_request_v1.flags moved: released ABI fields never move");
static_assert(offsetof(tributary_http_request_v1, reserved) == 76,
              "tributary_http_request_v1.reserved moved: released ABI fields never move");
static_assert(offsetof(tributary_http_request_v1, limit_class) == 80,
              "tributary_http_request_v1.limit_class moved: released ABI fields never move");
static_assert(offsetof(tributary_http_request_v1, cost) == 96,
              "tributary_http_request_v1.cost moved: released ABI fields never move");
static_assert(
    sizeof(tributary_http_request_v1) == 104,
    "tributary_http_request_v1 changed size: grow structs only at the end, in a new minor, and pin the new fields here");
/* tributary_http_response_v1 */
static_assert(offsetof(tributary_http_response_v1, struct_size) == 0,
              "tributary_http_response_v1.struct_size moved: released ABI fields never move");
static_assert(offsetof(tributary_http_response_v1, status) == 4,
              "tributary_http_response_v1.status moved: released ABI fields never move");
static_assert(offsetof(tributary_http_response_v1, headers) == 8,
              "tributary_http_response_v1.headers moved: released ABI fields never move");
static_assert(offsetof(tributary_http_response_v1, header_count) == 16,
              "tributary_http_response_v1.header_count moved: released ABI fields never move");
static_assert(offsetof(tributary_http_response_v1, body) == 24,
              "tributary_http_response_v1.body moved: released ABI fields never move");
static_assert(offsetof(tributary_http_response_v1, error) == 40,
              "tributary_http_response_v1.error moved: released ABI fields never move");
static_assert(sizeof(tributary_http_response_v1) == 56,
              "tributary_http_response_v1 changed size: grow structs only at the end, in a new "
              "minor, and pin the new fields here");
/* tributary_host_api_v1 */
static_assert(offsetof(tributary_host_api_v1, struct_size) == 0,
              "tributary_host_api_v1.struct_size moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, abi_version) == 4,
              "tributary_host_api_v1.abi_version moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, emit_record) == 8,
              "tributary_host_api_v1.emit_record moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, emit_record_error) == 16,
              "tributary_host_api_v1.emit_record_error moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, commit_checkpoint) == 24,
              "tributary_host_api_v1.commit_checkpoint moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, report_progress) == 32,
              "tributary_host_api_v1.report_progress moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, is_cancelled) == 40,
              "tributary_host_api_v1.is_cancelled moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, set_error) == 48,
              "tributary_host_api_v1.set_error moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, set_retry_after) == 56,
              "tributary_host_api_v1.set_retry_after moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, http_request) == 64,
              "tributary_host_api_v1.http_request moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, http_response_free) == 72,
              "tributary_host_api_v1.http_response_free moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, log) == 80,
              "tributary_host_api_v1.log moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, get_config) == 88,
              "tributary_host_api_v1.get_config moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, get_secret) == 96,
              "tributary_host_api_v1.get_secret moved: released ABI fields never move");
/* tributary_host_api_v1, 1.1 */
static_assert(offsetof(tributary_host_api_v1, set_stream_state) == 104,
              "tributary_host_api_v1.set_stream_state moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, emit_link) == 112,
              "tributary_host_api_v1.emit_link moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, request_follow_up) == 120,
              "tributary_host_api_v1.request_follow_up moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, add_run_counter) == 128,
              "tributary_host_api_v1.add_run_counter moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, set_run_fact) == 136,
              "tributary_host_api_v1.set_run_fact moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, declare_stream) == 144,
              "tributary_host_api_v1.declare_stream moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, set_action_result) == 152,
              "tributary_host_api_v1.set_action_result moved: released ABI fields never move");
static_assert(offsetof(tributary_host_api_v1, report_rate_limit) == 160,
              "tributary_host_api_v1.report_rate_limit moved: released ABI fields never move");
/* tributary_host_api_v1, 1.1 auth */
static_assert(offsetof(tributary_host_api_v1, get_auth_value) == 168,
              "tributary_host_api_v1.get_auth_value moved: released ABI fields never move");
static_assert(
    sizeof(tributary_host_api_v1) == 176,
    "tributary_host_api_v1 changed size: grow structs only at the end, in a new minor, and pin the new fields here");
/* tributary_stream_v1 */
static_assert(offsetof(tributary_stream_v1, struct_size) == 0,
              "tributary_stream_v1.struct_size moved: released ABI fields never move");
static_assert(offsetof(tributary_stream_v1, flags) == 4,
              "tributary_stream_v1.flags moved: released ABI fields never move");
static_assert(offsetof(tributary_stream_v1, name) == 8,
              "tributary_stream_v1.name moved: released ABI fields never move");
static_assert(offsetof(tributary_stream_v1, primary_key) == 16,
              "tributary_stream_v1.primary_key moved: released ABI fields never move");
static_assert(offsetof(tributary_stream_v1, cursor_field) == 24,
              "tributary_stream_v1.cursor_field moved: released ABI fields never move");
static_assert(offsetof(tributary_stream_v1, entity) == 32,
              "tributary_stream_v1.entity moved: released ABI fields never move");
static_assert(offsetof(tributary_stream_v1, description) == 40,
              "tributary_stream_v1.description moved: released ABI fields never move");
static_assert(sizeof(tributary_stream_v1) == 48,
              "tributary_stream_v1 changed size: grow structs only at the end, in a new minor, and "
              "pin the new fields here");
/* tributary_config_key_v1 */
static_assert(offsetof(tributary_config_key_v1, struct_size) == 0,
              "tributary_config_key_v1.struct_size moved: released ABI fields never move");
static_assert(offsetof(tributary_config_key_v1, type) == 4,
              "tributary_config_key_v1.type moved: released ABI fields never move");
static_assert(offsetof(tributary_config_key_v1, flags) == 8,
              "tributary_config_key_v1.flags moved: released ABI fields never move");
static_assert(offsetof(tributary_config_key_v1, reserved) == 12,
              "tributary_config_key_v1.reserved moved: released ABI fields never move");
static_assert(offsetof(tributary_config_key_v1, key) == 16,
              "tributary_config_key_v1.key moved: released ABI fields never move");
static_assert(offsetof(tributary_config_key_v1, default_value) == 24,
              "tributary_config_key_v1.default_value moved: released ABI fields never move");
static_assert(offsetof(tributary_config_key_v1, description) == 32,
              "tributary_config_key_v1.description moved: released ABI fields never move");
static_assert(sizeof(tributary_config_key_v1) == 40,
              "tributary_config_key_v1 changed size: grow structs only at the end, in a new minor, "
              "and pin the new fields here");
/* tributary_connector_v1 */
static_assert(offsetof(tributary_connector_v1, abi_version) == 0,
              "tributary_connector_v1.abi_version moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, struct_size) == 4,
              "tributary_connector_v1.struct_size moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, name) == 8,
              "tributary_connector_v1.name moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, version) == 16,
              "tributary_connector_v1.version moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, description) == 24,
              "tributary_connector_v1.description moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, streams) == 32,
              "tributary_connector_v1.streams moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, stream_count) == 40,
              "tributary_connector_v1.stream_count moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, config_key_count) == 44,
              "tributary_connector_v1.config_key_count moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, config_keys) == 48,
              "tributary_connector_v1.config_keys moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, create) == 56,
              "tributary_connector_v1.create moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, destroy) == 64,
              "tributary_connector_v1.destroy moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, check) == 72,
              "tributary_connector_v1.check moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, initial_sync) == 80,
              "tributary_connector_v1.initial_sync moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, incremental_sync) == 88,
              "tributary_connector_v1.incremental_sync moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, backfill) == 96,
              "tributary_connector_v1.backfill moved: released ABI fields never move");
/* tributary_connector_v1, 1.1 */
static_assert(offsetof(tributary_connector_v1, discover) == 104,
              "tributary_connector_v1.discover moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, link_types) == 112,
              "tributary_connector_v1.link_types moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, link_type_count) == 120,
              "tributary_connector_v1.link_type_count moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, action_count) == 124,
              "tributary_connector_v1.action_count moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, actions) == 128,
              "tributary_connector_v1.actions moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, action) == 136,
              "tributary_connector_v1.action moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, rate_limits) == 144,
              "tributary_connector_v1.rate_limits moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, rate_limit_count) == 152,
              "tributary_connector_v1.rate_limit_count moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, http_rule_count) == 156,
              "tributary_connector_v1.http_rule_count moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, http_rules) == 160,
              "tributary_connector_v1.http_rules moved: released ABI fields never move");
/* tributary_connector_v1, 1.1 auth */
static_assert(offsetof(tributary_connector_v1, auth_count) == 168,
              "tributary_connector_v1.auth_count moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, reserved_auth) == 172,
              "tributary_connector_v1.reserved_auth moved: released ABI fields never move");
static_assert(offsetof(tributary_connector_v1, auths) == 176,
              "tributary_connector_v1.auths moved: released ABI fields never move");
static_assert(
    sizeof(tributary_connector_v1) == 184,
    "tributary_connector_v1 changed size: grow structs only at the end, in a new minor, and pin the new fields here");
/* tributary_link_v1 (1.1) */
static_assert(offsetof(tributary_link_v1, struct_size) == 0,
              "tributary_link_v1.struct_size moved: released ABI fields never move");
static_assert(offsetof(tributary_link_v1, flags) == 4, "tributary_link_v1.flags moved: released ABI fields never move");
static_assert(offsetof(tributary_link_v1, stream) == 8,
              "tributary_link_v1.stream moved: released ABI fields never move");
static_assert(offsetof(tributary_link_v1, type) == 24, "tributary_link_v1.type moved: released ABI fields never move");
static_assert(offsetof(tributary_link_v1, from_id) == 40,
              "tributary_link_v1.from_id moved: released ABI fields never move");
static_assert(offsetof(tributary_link_v1, to_id) == 56,
              "tributary_link_v1.to_id moved: released ABI fields never move");
static_assert(
    sizeof(tributary_link_v1) == 72,
    "tributary_link_v1 changed size: grow structs only at the end, in a new minor, and pin the new fields here");
/* tributary_follow_up_v1 (1.1) */
static_assert(offsetof(tributary_follow_up_v1, struct_size) == 0,
              "tributary_follow_up_v1.struct_size moved: released ABI fields never move");
static_assert(offsetof(tributary_follow_up_v1, kind) == 4,
              "tributary_follow_up_v1.kind moved: released ABI fields never move");
static_assert(offsetof(tributary_follow_up_v1, stream) == 8,
              "tributary_follow_up_v1.stream moved: released ABI fields never move");
static_assert(offsetof(tributary_follow_up_v1, reason) == 24,
              "tributary_follow_up_v1.reason moved: released ABI fields never move");
static_assert(offsetof(tributary_follow_up_v1, window_from_ms) == 40,
              "tributary_follow_up_v1.window_from_ms moved: released ABI fields never move");
static_assert(offsetof(tributary_follow_up_v1, window_to_ms) == 48,
              "tributary_follow_up_v1.window_to_ms moved: released ABI fields never move");
static_assert(
    sizeof(tributary_follow_up_v1) == 56,
    "tributary_follow_up_v1 changed size: grow structs only at the end, in a new minor, and pin the new fields here");
/* tributary_action_request_v1 (1.1) */
static_assert(offsetof(tributary_action_request_v1, struct_size) == 0,
              "tributary_action_request_v1.struct_size moved: released ABI fields never move");
static_assert(offsetof(tributary_action_request_v1, reserved) == 4,
              "tributary_action_request_v1.reserved moved: released ABI fields never move");
static_assert(offsetof(tributary_action_request_v1, action) == 8,
              "tributary_action_request_v1.action moved: released ABI fields never move");
static_assert(offsetof(tributary_action_request_v1, body_json) == 24,
              "tributary_action_request_v1.body_json moved: released ABI fields never move");
static_assert(
    sizeof(tributary_action_request_v1) == 40,
    "tributary_action_request_v1 changed size: grow structs only at the end, in a new minor, and pin the new fields here");
/* tributary_link_type_v1 (1.1) */
static_assert(offsetof(tributary_link_type_v1, struct_size) == 0,
              "tributary_link_type_v1.struct_size moved: released ABI fields never move");
static_assert(offsetof(tributary_link_type_v1, flags) == 4,
              "tributary_link_type_v1.flags moved: released ABI fields never move");
static_assert(offsetof(tributary_link_type_v1, name) == 8,
              "tributary_link_type_v1.name moved: released ABI fields never move");
static_assert(offsetof(tributary_link_type_v1, from_entity) == 16,
              "tributary_link_type_v1.from_entity moved: released ABI fields never move");
static_assert(offsetof(tributary_link_type_v1, to_entity) == 24,
              "tributary_link_type_v1.to_entity moved: released ABI fields never move");
static_assert(offsetof(tributary_link_type_v1, column) == 32,
              "tributary_link_type_v1.column moved: released ABI fields never move");
static_assert(offsetof(tributary_link_type_v1, description) == 40,
              "tributary_link_type_v1.description moved: released ABI fields never move");
static_assert(
    sizeof(tributary_link_type_v1) == 48,
    "tributary_link_type_v1 changed size: grow structs only at the end, in a new minor, and pin the new fields here");
/* tributary_action_v1 (1.1) */
static_assert(offsetof(tributary_action_v1, struct_size) == 0,
              "tributary_action_v1.struct_size moved: released ABI fields never move");
static_assert(offsetof(tributary_action_v1, flags) == 4,
              "tributary_action_v1.flags moved: released ABI fields never move");
static_assert(offsetof(tributary_action_v1, name) == 8,
              "tributary_action_v1.name moved: released ABI fields never move");
static_assert(offsetof(tributary_action_v1, description) == 16,
              "tributary_action_v1.description moved: released ABI fields never move");
static_assert(offsetof(tributary_action_v1, body_keys) == 24,
              "tributary_action_v1.body_keys moved: released ABI fields never move");
static_assert(offsetof(tributary_action_v1, body_key_count) == 32,
              "tributary_action_v1.body_key_count moved: released ABI fields never move");
static_assert(offsetof(tributary_action_v1, reserved) == 36,
              "tributary_action_v1.reserved moved: released ABI fields never move");
static_assert(
    sizeof(tributary_action_v1) == 40,
    "tributary_action_v1 changed size: grow structs only at the end, in a new minor, and pin the new fields here");

/* tributary_rate_limit_v1 (1.1 http) */
static_assert(offsetof(tributary_rate_limit_v1, struct_size) == 0,
              "tributary_rate_limit_v1.struct_size moved: released ABI fields never move");
static_assert(offsetof(tributary_rate_limit_v1, flags) == 4,
              "tributary_rate_limit_v1.flags moved: released ABI fields never move");
static_assert(offsetof(tributary_rate_limit_v1, name) == 8,
              "tributary_rate_limit_v1.name moved: released ABI fields never move");
static_assert(offsetof(tributary_rate_limit_v1, requests) == 16,
              "tributary_rate_limit_v1.requests moved: released ABI fields never move");
static_assert(offsetof(tributary_rate_limit_v1, per_ms) == 24,
              "tributary_rate_limit_v1.per_ms moved: released ABI fields never move");
static_assert(offsetof(tributary_rate_limit_v1, description) == 32,
              "tributary_rate_limit_v1.description moved: released ABI fields never move");
static_assert(
    sizeof(tributary_rate_limit_v1) == 40,
    "tributary_rate_limit_v1 changed size: grow structs only at the end, in a new minor, and pin the new fields here");
/* tributary_http_rule_v1 (1.1 http) */
static_assert(offsetof(tributary_http_rule_v1, struct_size) == 0,
              "tributary_http_rule_v1.struct_size moved: released ABI fields never move");
static_assert(offsetof(tributary_http_rule_v1, action) == 4,
              "tributary_http_rule_v1.action moved: released ABI fields never move");
static_assert(offsetof(tributary_http_rule_v1, status) == 8,
              "tributary_http_rule_v1.status moved: released ABI fields never move");
static_assert(offsetof(tributary_http_rule_v1, reserved) == 12,
              "tributary_http_rule_v1.reserved moved: released ABI fields never move");
static_assert(offsetof(tributary_http_rule_v1, error_code) == 16,
              "tributary_http_rule_v1.error_code moved: released ABI fields never move");
static_assert(offsetof(tributary_http_rule_v1, limit_class) == 24,
              "tributary_http_rule_v1.limit_class moved: released ABI fields never move");
static_assert(offsetof(tributary_http_rule_v1, wait_ms) == 32,
              "tributary_http_rule_v1.wait_ms moved: released ABI fields never move");
static_assert(offsetof(tributary_http_rule_v1, description) == 40,
              "tributary_http_rule_v1.description moved: released ABI fields never move");
static_assert(
    sizeof(tributary_http_rule_v1) == 48,
    "tributary_http_rule_v1 changed size: grow structs only at the end, in a new minor, and pin the new fields here");
/* tributary_auth_v1 (1.1 auth) */
static_assert(offsetof(tributary_auth_v1, struct_size) == 0,
              "tributary_auth_v1.struct_size moved: released ABI fields never move");
static_assert(offsetof(tributary_auth_v1, type) == 4, "tributary_auth_v1.type moved: released ABI fields never move");
static_assert(offsetof(tributary_auth_v1, flags) == 8, "tributary_auth_v1.flags moved: released ABI fields never move");
static_assert(offsetof(tributary_auth_v1, reserved) == 12,
              "tributary_auth_v1.reserved moved: released ABI fields never move");
static_assert(offsetof(tributary_auth_v1, param_name) == 16,
              "tributary_auth_v1.param_name moved: released ABI fields never move");
static_assert(offsetof(tributary_auth_v1, value_prefix) == 24,
              "tributary_auth_v1.value_prefix moved: released ABI fields never move");
static_assert(offsetof(tributary_auth_v1, authorize_url) == 32,
              "tributary_auth_v1.authorize_url moved: released ABI fields never move");
static_assert(offsetof(tributary_auth_v1, token_url) == 40,
              "tributary_auth_v1.token_url moved: released ABI fields never move");
static_assert(offsetof(tributary_auth_v1, scopes) == 48,
              "tributary_auth_v1.scopes moved: released ABI fields never move");
static_assert(offsetof(tributary_auth_v1, authorize_params) == 56,
              "tributary_auth_v1.authorize_params moved: released ABI fields never move");
static_assert(offsetof(tributary_auth_v1, description) == 64,
              "tributary_auth_v1.description moved: released ABI fields never move");
static_assert(
    sizeof(tributary_auth_v1) == 72,
    "tributary_auth_v1 changed size: grow structs only at the end, in a new minor, and pin the new fields here");
static_assert(TRIBUTARY_HTTP_IDEMPOTENT == 1u && TRIBUTARY_RATE_LIMIT_POINTS == 1u &&
                  TRIBUTARY_RATE_LIMIT_QUOTA == 2u && TRIBUTARY_RATE_LIMIT_EVERY_REQUEST == 4u,
              "http flags are released values");
static_assert(TRIBUTARY_HTTP_RULE_RETRY == 1 && TRIBUTARY_HTTP_RULE_RATE_LIMIT == 2 && TRIBUTARY_HTTP_RULE_QUOTA == 3,
              "http rule actions are released values");
static_assert(TRIBUTARY_HTTP_NO_AUTH == 2u && TRIBUTARY_HTTP_KNOWN_FLAGS == 3u,
              "http request flags are released values");
static_assert(TRIBUTARY_HTTP_RULE_REFRESH_AUTH == 4, "http rule actions are released values");
static_assert(TRIBUTARY_AUTH_BEARER == 1 && TRIBUTARY_AUTH_BASIC == 2 && TRIBUTARY_AUTH_API_KEY == 3 &&
                  TRIBUTARY_AUTH_OAUTH2 == 4,
              "auth types are released values");
static_assert(TRIBUTARY_AUTH_IN_QUERY == 1u && TRIBUTARY_AUTH_PKCE == 2u && TRIBUTARY_AUTH_CLIENT_BASIC == 4u &&
                  TRIBUTARY_AUTH_KNOWN_FLAGS == 7u,
              "auth flags are released values");

TEST(abi, LayoutIsPinnedAtBuildTimeInCAndCpp) {
  EXPECT_EQ(tributary_abi_layout_c_pinned(), 1);
  EXPECT_EQ(TRIBUTARY_ABI_MAJOR_OF(TRIBUTARY_ABI_VERSION), 1u);
  EXPECT_EQ(TRIBUTARY_ABI_MINOR_OF(TRIBUTARY_ABI_VERSION), static_cast<uint32_t>(TRIBUTARY_ABI_VERSION_MINOR));
}

TEST(abi, HostHasDetectsFunctionsWithinTheTable) {
  tributary_host_api_v1 api{};
  api.struct_size = offsetof(tributary_host_api_v1, log);  // an older host, without log & co.
  EXPECT_TRUE(TRIBUTARY_HOST_HAS(&api, http_response_free));
  EXPECT_FALSE(TRIBUTARY_HOST_HAS(&api, log));
  EXPECT_FALSE(TRIBUTARY_HOST_HAS(&api, get_secret));
  api.struct_size = sizeof api;
  EXPECT_TRUE(TRIBUTARY_HOST_HAS(&api, get_secret));
  EXPECT_TRUE(TRIBUTARY_HOST_HAS(&api, get_auth_value));
  api.struct_size = offsetof(tributary_host_api_v1, get_auth_value);  // 1.1 http, before 1.1 auth
  EXPECT_TRUE(TRIBUTARY_HOST_HAS(&api, report_rate_limit));
  EXPECT_FALSE(TRIBUTARY_HOST_HAS(&api, get_auth_value));
}
