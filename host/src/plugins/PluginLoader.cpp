#include "plugins/PluginLoader.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include <boost/dll/shared_library.hpp>

#include "plugins/ConnectorInstance.h"
#include "plugins/DescriptorReader.h"

namespace tributary::plugins {
namespace {

std::string abiString(uint32_t v) {
  return std::to_string(TRIBUTARY_ABI_MAJOR_OF(v)) + "." + std::to_string(TRIBUTARY_ABI_MINOR_OF(v));
}

std::string octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// The file checks before anything is loaded. Returns the reason to refuse, or "".
std::string checkFile(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    return std::string("cannot be read: ") + std::strerror(errno);
  }
  if (!S_ISREG(st.st_mode)) return "is not a regular file; remove it from the plugins dir";
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    return "is writable by group or others (mode " + octal(st.st_mode) +
           "), so anyone could replace its code; run: chmod go-w '" + file.string() + "'";
  }
  const uid_t me = ::geteuid();
  if (st.st_uid != 0 && st.st_uid != me) {
    return "is owned by uid " + std::to_string(st.st_uid) + ", neither root nor this host's user (uid " +
           std::to_string(me) + "); run: chown root '" + file.string() + "'";
  }
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::string("cannot be read: ") + std::strerror(errno);
  unsigned char header[EI_NIDENT + 2] = {};
  ssize_t n = ::read(fd, header, sizeof header);
  ::close(fd);
  if (n < static_cast<ssize_t>(sizeof header) || std::memcmp(header, ELFMAG, SELFMAG) != 0) {
    return "is not an ELF shared object (it does not start with the ELF magic bytes); remove it "
           "from the plugins dir, or rebuild it with tributary_add_connector()";
  }
  uint16_t type = header[EI_DATA] == ELFDATA2MSB
                      ? static_cast<uint16_t>(header[EI_NIDENT] << 8 | header[EI_NIDENT + 1])
                      : static_cast<uint16_t>(header[EI_NIDENT + 1] << 8 | header[EI_NIDENT]);
  if (type != ET_DYN) {
    return "is an ELF file but not a shared object (e_type " + std::to_string(type) +
           "); rebuild it with tributary_add_connector()";
  }
  return "";
}

}  // namespace

std::optional<std::string> abiRefusal(uint32_t abi, uint32_t hostAbi) {
  const std::string host = abiString(hostAbi);
  if (TRIBUTARY_ABI_MAJOR_OF(abi) != TRIBUTARY_ABI_MAJOR_OF(hostAbi)) {
    return "was built for connector ABI " + abiString(abi) + ", but this host supports ABI " + host +
           " (the major versions differ); rebuild the plugin against TributarySDK " +
           std::to_string(TRIBUTARY_ABI_MAJOR_OF(hostAbi)) + ", or run a Tributary host that supports ABI " +
           std::to_string(TRIBUTARY_ABI_MAJOR_OF(abi));
  }
  if (TRIBUTARY_ABI_MINOR_OF(abi) > TRIBUTARY_ABI_MINOR_OF(hostAbi)) {
    return "was built for connector ABI " + abiString(abi) + ", newer than this host's ABI " + host +
           "; upgrade Tributary, or rebuild the plugin against TributarySDK " + host;
  }
  return std::nullopt;
}

PluginLoader::Outcome PluginLoader::load(const std::filesystem::path& file) const {
  Outcome out;
  auto refuse = [&](std::string reason) {
    out.refused = RefusedPlugin{file, std::move(reason), std::nullopt, std::nullopt, std::nullopt};
    return std::move(out);
  };

  if (std::string why = checkFile(file); !why.empty()) return refuse(why);

  // Load. RTLD_NOW makes a missing library or symbol fail here, not at first call.
  auto library = std::make_shared<boost::dll::shared_library>();
  boost::dll::fs::error_code ec;
  ::dlerror();
  library->load(boost::dll::fs::path(file.string()),
                boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now, ec);
  if (ec || !library->is_loaded()) {
    const char* dl = ::dlerror();
    return refuse(std::string("cannot be loaded: ") + (dl ? dl : ec.message()) +
                  "; install the missing library, or rebuild the plugin against this machine's libraries");
  }

  if (!library->has(TRIBUTARY_CONNECTOR_ENTRY_SYMBOL)) {
    return refuse(std::string("has no entry symbol ") + TRIBUTARY_CONNECTOR_ENTRY_SYMBOL +
                  ": it is not a Tributary connector, or it was built without TRIBUTARY_CONNECTOR(...); "
                  "rebuild it with tributary_add_connector()");
  }
  auto entry = library->get<const tributary_connector_v1*()>(TRIBUTARY_CONNECTOR_ENTRY_SYMBOL);
  const tributary_connector_v1* d = nullptr;
  try {
    d = entry();
  } catch (...) {
    return refuse(std::string("its ") + TRIBUTARY_CONNECTOR_ENTRY_SYMBOL +
                  "() threw an exception; fix the plugin (the entry must not throw)");
  }
  if (!d) {
    return refuse(std::string("its ") + TRIBUTARY_CONNECTOR_ENTRY_SYMBOL +
                  "() returned no descriptor (the connector's describe() failed); fix the plugin");
  }

  // The ABI. abi_version is the first field in every version of the descriptor.
  const uint32_t abi = d->abi_version;
  if (auto why = abiRefusal(abi, TRIBUTARY_ABI_VERSION)) {
    RefusedPlugin r{file, *why, std::nullopt, std::nullopt, abiString(abi)};
    // Same major: the 1.0 prefix of the descriptor is readable.
    if (TRIBUTARY_ABI_MAJOR_OF(abi) == TRIBUTARY_ABI_VERSION_MAJOR && d->struct_size >= kDescriptorSize10) {
      if (d->name) r.name = d->name;
      if (d->version) r.version = d->version;
    }
    out.refused = std::move(r);
    return out;
  }
  if (std::string why = DescriptorReader(*d).validate(); !why.empty()) {
    RefusedPlugin r{file, "has an invalid descriptor: " + why + "; fix the plugin", std::nullopt, std::nullopt,
                    abiString(abi)};
    out.refused = std::move(r);
    return out;
  }

  // The library stays loaded while the ConnectorPlugin or any instance of it lives.
  auto plugin = std::make_shared<const ConnectorPlugin>(std::shared_ptr<const void>(library, library.get()), d, file);

  // The probe: create with the declared defaults only, then destroy.
  InstanceOptions probe;
  probe.log = log_;
  probe.label = "load check";
  ConnectorInstance::Created created = ConnectorInstance::create(plugin, std::move(probe));
  if (!created.result.ok()) {
    RefusedPlugin r{file,
                    "failed its load check: create returned " + std::string(toString(created.result.code)) + ": " +
                        created.result.message +
                        "; fix the plugin (create must succeed with only the declared defaults, and do no I/O)",
                    plugin->name(), plugin->version(), plugin->abiString()};
    out.refused = std::move(r);
    return out;
  }
  created.instance.reset();
  out.plugin = std::move(plugin);
  return out;
}

}  // namespace tributary::plugins
