#pragma once

// The final sweep of issue 16's tests: after a test that used secrets (tokens, client secrets,
// passwords), nothing it wrote (a column of the database, a log file, a pg_dump) holds one in
// clear. Each function returns one line per hit and never the secret itself, only its index in
// `secrets` and its first 3 characters: "jobs.last_error row (id)=(8f3c...) holds secret #1 (ya2...)".
// An empty vector is a clean sweep.

#include <filesystem>
#include <string>
#include <vector>

namespace tributary::test {

struct QueueDatabase;

// Every text, varchar, char, json and jsonb column (and arrays of them) of every table of the
// public schema of the database at `conninfo`, each row cast to text, and every line of
// `logFiles`. bytea is left out: sealed values are ciphertext. A secret is also looked for as it
// stands in JSON (escaped) and in a URL (percent-encoded).
std::vector<std::string> findSecrets(const std::string& conninfo, const std::vector<std::string>& secrets,
                                     const std::vector<std::filesystem::path>& logFiles = {});
std::vector<std::string> findSecrets(QueueDatabase& database, const std::vector<std::string>& secrets,
                                     const std::vector<std::filesystem::path>& logFiles = {});

// pg_dump (the cluster's own, from /usr/lib/postgresql/N/bin, as the conninfo's user) of the
// database at `conninfo` into `dumpFile`, then the lines of the dump that hold a secret
// ("DUMP:LINE holds secret #i (abc...)"). Throws when pg_dump fails, with its output.
std::vector<std::string> findSecretsInDump(const std::string& conninfo, const std::vector<std::string>& secrets,
                                           const std::filesystem::path& dumpFile);

}  // namespace tributary::test
