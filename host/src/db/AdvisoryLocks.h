#pragma once

#include <cstdint>

namespace tributary::db {

// Every PostgreSQL advisory lock the host takes, in one place so that no two rooms pick the
// same key. Two-key locks use the class "Trib" and one object per purpose.
namespace advisory {

inline constexpr int64_t kMigrations = 0x7472696275746172;  // "tributar": one migrator at a time (session)
inline constexpr int kClass = 0x54726962;                   // "Trib"
inline constexpr int kSchedulerLeader = 1;                  // the scheduler's leader (session)
inline constexpr int kOutboxOrder = 2;        // events commit one at a time, in position order (transaction)
inline constexpr int kMaintenance = 3;        // one host prunes the outbox at a time (transaction)
inline constexpr int kConfigApply = 4;        // one host applies or compares its YAML at a time (transaction)
inline constexpr int kConfigHosts = 5;        // held shared by every running serve: config_hosts' liveness (session)
inline constexpr int kMaintenanceLeader = 6;  // the host that rescues expired leases and prunes (session)
inline constexpr int kKeyRotation = 7;  // one `secrets rotate-key` or `retire-key` at a time: file and rows (session)
// One class of its own, its object hashtext(auth_credentials.credential): one OAuth refresh of
// a credential at a time, across every job and host (session).
inline constexpr int kCredential = 0x54724175;  // "TrAu"

}  // namespace advisory
}  // namespace tributary::db
