#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/Json.h"
#include "db/Connection.h"
#include "secrets/KeyRing.h"

namespace tributary::webhooks {

// One endpoint of a workspace, as the API shows it (never its secret).
struct Endpoint {
  std::string id;
  std::string workspaceId;
  std::string url;
  std::string description;
  std::vector<std::string> events;  // empty: every event
  bool enabled = true;
  std::optional<std::string> disabledAt;
  std::optional<std::string> disabledReason;
  std::optional<std::string> failingSince;
  std::optional<std::string> previousSecretUntil;  // a rotated-out secret still signing until then
  std::string createdAt;
  std::string updatedAt;

  Json toJson() const;
  // Whether it wants events of `type`.
  bool wants(const std::string& type) const;
};

struct NewEndpoint {
  std::string url;
  std::string secret;  // the bytes (decodeSecret / generateSecret)
  std::vector<std::string> events;
  std::string description;
  bool enabled = true;
};

// What may change of an endpoint (PATCH): each field given replaces the stored one.
struct EndpointChange {
  std::optional<std::string> url;
  std::optional<std::string> secret;  // a rotation: the old one keeps signing for the overlap
  std::optional<std::vector<std::string>> events;
  std::optional<std::string> description;
  std::optional<bool> enabled;
};

// The webhook_endpoints and webhook_secrets rows (migrations/018), the secrets sealed with the
// key ring under "webhook_secrets:<secret id>". Stateless: each call runs on the connection
// given; create and update in a transaction of their own.
class EndpointStore {
 public:
  explicit EndpointStore(const secrets::KeyRing& ring) : ring_(ring) {}

  // A new endpoint of `workspaceId`, starting at the outbox's head.
  Endpoint create(db::Connection& conn, const std::string& workspaceId, const NewEndpoint& e) const;
  std::vector<Endpoint> list(db::Connection& conn, const std::string& workspaceId) const;
  // nullopt when the workspace has no such endpoint (or `id` is no uuid).
  std::optional<Endpoint> get(db::Connection& conn, const std::string& workspaceId, const std::string& id) const;
  // The seeds' single webhook: the workspace's oldest endpoint.
  std::optional<Endpoint> oldest(db::Connection& conn, const std::string& workspaceId) const;
  // nullopt when there is no such endpoint. Enabling clears the failure it was disabled for.
  std::optional<Endpoint> update(db::Connection& conn, const std::string& workspaceId, const std::string& id,
                                 const EndpointChange& change, std::chrono::milliseconds secretOverlap) const;
  bool remove(db::Connection& conn, const std::string& workspaceId, const std::string& id) const;

  // The secrets that sign a delivery to `endpointId` now: the current one first, then each one
  // rotated out whose overlap has not ended. Throws secrets::SecretError when one does not open.
  std::vector<std::string> signingSecrets(db::Connection& conn, const std::string& endpointId) const;

 private:
  void addSecret(db::Connection& conn, const std::string& endpointId, const std::string& secret) const;
  const secrets::KeyRing& ring_;
};

}  // namespace tributary::webhooks
