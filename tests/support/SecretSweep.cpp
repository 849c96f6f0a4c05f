#include "SecretSweep.h"

#include <cctype>
#include <fstream>
#include <stdexcept>

#include "QueueTestSupport.h"
#include "TestSupport.h"
#include "common/Strings.h"
#include "db/Connection.h"
#include "db/EmbeddedPostgres.h"
#include "db/PgArray.h"

namespace fs = std::filesystem;

namespace tributary::test {
namespace {

// A secret's forms, as the sweep looks for them (independent of common/Redact, whose work this
// checks): as given, JSON-escaped (jsonb's text), percent-encoded (a URL or a form).
std::vector<std::string> formsOf(const std::string& secret) {
  std::vector<std::string> forms{secret};
  std::string json, percent;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : secret) {
    if (c == '"' || c == '\\') {
      json.push_back('\\');
      json.push_back(static_cast<char>(c));
    } else {
      json.push_back(static_cast<char>(c));
    }
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      percent.push_back(static_cast<char>(c));
    } else {
      percent.push_back('%');
      percent.push_back(kHex[c >> 4]);
      percent.push_back(kHex[c & 15]);
    }
  }
  for (auto& f : {json, percent}) {
    if (f != secret) forms.push_back(f);
  }
  return forms;
}

// "secret #2 (abc...)": which one, never the whole of it.
std::string which(const std::vector<std::string>& secrets, size_t i) {
  return "secret #" + std::to_string(i) + " (" + secrets[i].substr(0, 3) + "...)";
}

// Each (form, index of its secret), for the database's unnest.
void flatten(const std::vector<std::string>& secrets, std::vector<std::string>& forms, std::vector<std::string>& ids) {
  for (size_t i = 0; i < secrets.size(); ++i) {
    if (secrets[i].empty()) throw std::invalid_argument("findSecrets: secret #" + std::to_string(i) + " is empty");
    for (auto& f : formsOf(secrets[i])) {
      forms.push_back(f);
      ids.push_back(std::to_string(i));
    }
  }
}

void sweepFile(const fs::path& file, const std::vector<std::string>& secrets, std::vector<std::string>& hits) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    hits.push_back(file.string() + ": cannot be read, so it was not swept");
    return;
  }
  std::vector<std::vector<std::string>> forms;
  for (const auto& s : secrets) forms.push_back(formsOf(s));
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    for (size_t i = 0; i < secrets.size(); ++i) {
      for (const auto& f : forms[i]) {
        if (line.find(f) == std::string::npos) continue;
        hits.push_back(file.string() + ":" + std::to_string(n) + " holds " + which(secrets, i));
        break;
      }
    }
  }
}

}  // namespace

std::vector<std::string> findSecrets(const std::string& conninfo, const std::vector<std::string>& secrets,
                                     const std::vector<fs::path>& logFiles) {
  std::vector<std::string> hits;
  if (secrets.empty()) return hits;
  std::vector<std::string> forms, ids;
  flatten(secrets, forms, ids);
  db::Connection c(conninfo);
  auto columns = c.exec(
      "SELECT table_name, column_name FROM information_schema.columns c"
      " WHERE table_schema = 'public'"
      " AND (data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')"
      "  OR (data_type = 'ARRAY' AND udt_name IN ('_text', '_varchar', '_bpchar', '_json', '_jsonb')))"
      " AND EXISTS (SELECT 1 FROM information_schema.tables t WHERE t.table_schema = 'public'"
      "  AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE')"
      " ORDER BY table_name, ordinal_position");
  for (int i = 0; i < columns.rows(); ++i) {
    const std::string table = columns.text(i, 0), column = columns.text(i, 1);
    // The row by its primary key when it has one ("(id)=(8f3c...)"), else by its ctid.
    auto key = c.exec(
        "SELECT string_agg(a.attname, ', ' ORDER BY array_position(i.indkey::int2[], a.attnum)),"
        " string_agg('t.' || quote_ident(a.attname), ', ' ORDER BY array_position(i.indkey::int2[], a.attnum))"
        " FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
        " WHERE i.indrelid = ('public.' || quote_ident($1))::regclass AND i.indisprimary",
        table);
    const std::string rowId = key.isNull(0, 0)
                                  ? "'ctid ' || t.ctid::text"
                                  : "'(" + key.text(0, 0) + ")=(' || concat_ws(', ', " + key.text(0, 1) + ") || ')'";
    auto found = c.exec("SELECT DISTINCT " + rowId + ", s.secret::int FROM public." + strings::quoteIdent(table) +
                            " t, unnest($1::text[], $2::text[]) AS s(form, secret)"
                            " WHERE strpos(t." +
                            strings::quoteIdent(column) + "::text, s.form) > 0 ORDER BY 2, 1",
                        db::textArray(forms), db::textArray(ids));
    for (int r = 0; r < found.rows(); ++r) {
      hits.push_back(table + "." + column + " row " + found.text(r, 0) + " holds " +
                     which(secrets, static_cast<size_t>(found.int64(r, 1))));
    }
  }
  for (const auto& f : logFiles) sweepFile(f, secrets, hits);
  return hits;
}

std::vector<std::string> findSecrets(QueueDatabase& database, const std::vector<std::string>& secrets,
                                     const std::vector<fs::path>& logFiles) {
  return findSecrets(database.db.conninfo(), secrets, logFiles);
}

std::vector<std::string> findSecretsInDump(const std::string& conninfo, const std::vector<std::string>& secrets,
                                           const fs::path& dumpFile) {
  const fs::path pgDump = db::EmbeddedPostgres::findBinDir({}) / "pg_dump";
  auto r = runProgram({pgDump.string(), "--no-password", "--file", dumpFile.string(), "--dbname", conninfo});
  if (!r.ok()) {
    throw std::runtime_error(pgDump.string() + " of " + conninfo + " failed (" + process::describeStatus(r.status) +
                             "): " + r.output);
  }
  std::vector<std::string> hits;
  sweepFile(dumpFile, secrets, hits);
  return hits;
}

}  // namespace tributary::test
