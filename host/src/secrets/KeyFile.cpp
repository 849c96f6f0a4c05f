#include "secrets/KeyFile.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "common/Base64.h"
#include "secrets/SecretError.h"

namespace tributary::secrets {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLineShape = "`<key-id> <base64 of 32 random bytes>`";

std::string errnoText() { return std::strerror(errno); }

// Wipes a string that held key material when it goes, however the scope is left.
struct Wipe {
  std::string& s;
  ~Wipe() { OPENSSL_cleanse(s.data(), s.size()); }
};

bool isKeyId(std::string_view s) {
  if (s.size() != 17 || s[0] != 'k') return false;
  for (char c : s.substr(1)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::vector<std::string_view> fieldsOf(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i == line.size()) break;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

// Reads the whole file behind `fd`.
std::string readAll(int fd, const fs::path& path) {
  std::string out;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string why = errnoText();
      OPENSSL_cleanse(buf, sizeof buf);
      throw SecretError("cannot read the key file " + path.string() + ": " + why);
    }
    out.append(buf, static_cast<size_t>(n));
  }
  OPENSSL_cleanse(buf, sizeof buf);
  return out;
}

void writeAll(int fd, const std::string& text, const fs::path& tmp) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SecretError("cannot write " + tmp.string() + ": " + errnoText());
    }
    done += static_cast<size_t>(n);
  }
}

std::string randomSuffix() {
  unsigned char r[6];
  if (RAND_bytes(r, sizeof r) != 1) throw SecretError("OpenSSL's random generator failed (RAND_bytes)");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : r) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

// Where an edit is written: the file a symlink points at, so the link stays.
fs::path writeTarget(const fs::path& path) {
  std::error_code ec;
  if (fs::is_symlink(path, ec)) {
    auto target = fs::canonical(path, ec);
    if (!ec) return target;
  }
  return path;
}

void syncDirectory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// A temporary sibling of `target`, of `mode` (owner bits only) from its creation, holding
// `text`, synced.
fs::path writeTemporary(const fs::path& target, const std::string& text, mode_t mode = 0600) {
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw SecretError("cannot write the key file " + target.string() + ": its directory " + dir.string() +
                      " does not exist");
  }
  const fs::path tmp =
      dir / ("." + target.filename().string() + ".tmp." + std::to_string(::getpid()) + "." + randomSuffix());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    throw SecretError("cannot write the key file " + target.string() + ": " + tmp.string() + ": " + errnoText());
  try {
    // The umask may only have narrowed the mode; make it exactly that.
    if (::fchmod(fd, mode) != 0) throw SecretError("cannot chmod " + tmp.string() + ": " + errnoText());
    writeAll(fd, text, tmp);
    if (::fsync(fd) != 0) throw SecretError("cannot sync " + tmp.string() + ": " + errnoText());
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    const std::string why = errnoText();
    ::unlink(tmp.c_str());
    throw SecretError("cannot write " + tmp.string() + ": " + why);
  }
  return tmp;
}

}  // namespace

std::string formatMode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

KeyFile::~KeyFile() {
  for (auto& l : lines_) OPENSSL_cleanse(l.text.data(), l.text.size());
}

std::optional<KeyFile> KeyFile::readIfExists(const fs::path& path) {
  std::error_code ec;
  if (fs::symlink_status(path, ec).type() == fs::file_type::not_found) return std::nullopt;
  return read(path);
}

KeyFile KeyFile::read(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw SecretError("the key file " + path.string() + " does not exist");
    throw SecretError("cannot read the key file " + path.string() + ": " + errnoText());
  }
  struct stat st {};
  std::string text;
  const Wipe wipeText{text};
  try {
    if (::fstat(fd, &st) != 0) throw SecretError("cannot stat the key file " + path.string() + ": " + errnoText());
    if (!S_ISREG(st.st_mode)) throw SecretError("the key file " + path.string() + " is not a regular file");
    if ((st.st_mode & 077) != 0) {
      throw SecretError("the key file " + path.string() + " is mode " + formatMode(st.st_mode) +
                        ", readable by group or others: it opens every sealed credential, so it must be readable by "
                        "its owner only (0600 or stricter). Run `chmod 600 " +
                        path.string() + "`");
    }
    text = readAll(fd, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);

  KeyFile file(path);
  file.mode_ = st.st_mode & 07777;
  std::map<std::string, int> seen;
  size_t start = 0;
  int number = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    Line line{text.substr(start, end - start), std::nullopt};
    start = end + 1;
    ++number;
    std::string_view body = line.text;
    while (!body.empty() && (body.back() == ' ' || body.back() == '\t' || body.back() == '\r')) body.remove_suffix(1);
    const auto fields = fieldsOf(body);
    const std::string where = path.string() + ":" + std::to_string(number) + ": ";
    if (fields.empty() || fields[0][0] == '#') {
      file.lines_.push_back(std::move(line));
      continue;
    }
    // Never quote the line: it may hold a key.
    if (fields.size() != 2) {
      throw SecretError(where + "a key line is " + kLineShape + " (comments start with #); this one has " +
                        std::to_string(fields.size()) + " fields");
    }
    if (!isKeyId(fields[0])) {
      throw SecretError(where + "the first field is not a key id (k and 16 lowercase hex digits); a key line is " +
                        kLineShape);
    }
    const std::string id(fields[0]);
    std::string raw;
    const Wipe wipeRaw{raw};
    if (!base64::decode(fields[1], raw)) {
      throw SecretError(where + "the key of " + id + " is not valid base64 (standard alphabet, = padding)");
    }
    if (raw.size() != kKeySize) {
      const size_t size = raw.size();
      OPENSSL_cleanse(raw.data(), raw.size());
      throw SecretError(where + "the key of " + id + " is " + std::to_string(size) + " bytes; a key is " +
                        std::to_string(kKeySize) + " bytes (base64 of 32 random bytes)");
    }
    Key key;
    std::memcpy(key.bytes.data(), raw.data(), kKeySize);
    OPENSSL_cleanse(raw.data(), raw.size());
    key.id = keyIdOf(key.bytes);
    key.line = number;
    if (key.id != id) {
      throw SecretError(where + "the key id " + id + " does not match its key (whose id is " + key.id +
                        "): the line was edited, or its id or key was copied wrong. Copy the key file the other "
                        "hosts use, or restore this line");
    }
    if (auto [it, fresh] = seen.emplace(id, number); !fresh) {
      throw SecretError(where + "key " + id + " is given twice (first at line " + std::to_string(it->second) + ")");
    }
    line.key = std::move(key);
    file.lines_.push_back(std::move(line));
  }
  if (seen.empty()) {
    throw SecretError("the key file " + path.string() + " holds no key: a key line is " + kLineShape +
                      " (docs/operators.md, \"Secrets at rest\")");
  }
  return file;
}

KeyFile KeyFile::fresh(const fs::path& path, const Key& key) {
  KeyFile file(path);
  file.lines_.push_back(
      {"# Tributary's secret keys (docs/operators.md, \"Secrets at rest\"). The first key seals "
       "new values;",
       std::nullopt});
  file.lines_.push_back(
      {"# every key opens. Keep this file mode 600, and the same on every host that shares the "
       "database.",
       std::nullopt});
  file.lines_.push_back(keyLine(key));
  return file;
}

KeyFile::Line KeyFile::keyLine(const Key& key) {
  std::string raw(reinterpret_cast<const char*>(key.bytes.data()), key.bytes.size());
  Line line{key.id + " " + base64::encode(raw), key};
  OPENSSL_cleanse(raw.data(), raw.size());
  return line;
}

std::vector<Key> KeyFile::keys() const {
  std::vector<Key> out;
  for (const auto& l : lines_) {
    if (l.key) out.push_back(*l.key);
  }
  return out;
}

const Key* KeyFile::find(std::string_view id) const {
  for (const auto& l : lines_) {
    if (l.key && l.key->id == id) return &*l.key;
  }
  return nullptr;
}

std::string KeyFile::currentId() const {
  for (const auto& l : lines_) {
    if (l.key) return l.key->id;
  }
  return "";
}

size_t KeyFile::firstKeyLine() const {
  for (size_t i = 0; i < lines_.size(); ++i) {
    if (lines_[i].key) return i;
  }
  return lines_.size();
}

size_t KeyFile::lineOf(std::string_view id) const {
  for (size_t i = 0; i < lines_.size(); ++i) {
    if (lines_[i].key && lines_[i].key->id == id) return i;
  }
  throw SecretError("the key file " + path_.string() + " holds no key " + std::string(id));
}

void KeyFile::addCurrent(const Key& key) {
  lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(firstKeyLine()), keyLine(key));
}

void KeyFile::addLast(const Key& key) { lines_.push_back(keyLine(key)); }

void KeyFile::makeCurrent(std::string_view id) {
  const size_t at = lineOf(id);
  Line line = std::move(lines_[at]);
  lines_.erase(lines_.begin() + static_cast<std::ptrdiff_t>(at));
  lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(firstKeyLine()), std::move(line));
}

void KeyFile::remove(std::string_view id) {
  const size_t at = lineOf(id);
  OPENSSL_cleanse(lines_[at].text.data(), lines_[at].text.size());
  lines_.erase(lines_.begin() + static_cast<std::ptrdiff_t>(at));
}

std::string KeyFile::text() const {
  std::string out;
  for (const auto& l : lines_) out += l.text + "\n";
  return out;
}

void KeyFile::write() const {
  const fs::path target = writeTarget(path_);
  std::string content = text();
  fs::path tmp;
  try {
    // A file read keeps its mode (0400 stays 0400); a new one is 0600.
    const mode_t mode = (mode_ & 0400) != 0 ? (mode_ & 0700) : 0600;
    tmp = writeTemporary(target, content, mode);
  } catch (...) {
    OPENSSL_cleanse(content.data(), content.size());
    throw;
  }
  OPENSSL_cleanse(content.data(), content.size());
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    const std::string why = errnoText();
    ::unlink(tmp.c_str());
    throw SecretError("cannot replace the key file " + target.string() + ": " + why);
  }
  syncDirectory(target.parent_path().empty() ? fs::path(".") : target.parent_path());
}

bool KeyFile::create() const {
  std::string content = text();
  fs::path tmp;
  try {
    tmp = writeTemporary(path_, content);
  } catch (const SecretError& e) {
    OPENSSL_cleanse(content.data(), content.size());
    throw SecretError(std::string("cannot create the key file: ") + e.what());
  }
  OPENSSL_cleanse(content.data(), content.size());
  // link() fails when the file exists: whoever created it first wins, and nobody sees it half written.
  const int rc = ::link(tmp.c_str(), path_.c_str());
  const int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (err == EEXIST) return false;
    throw SecretError("cannot create the key file " + path_.string() + ": " + std::strerror(err));
  }
  syncDirectory(path_.parent_path().empty() ? fs::path(".") : path_.parent_path());
  return true;
}

}  // namespace tributary::secrets
