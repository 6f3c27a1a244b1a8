#include "gateway/upstream_url.h"

#include <charconv>

#include "absl/status/status.h"
#include "jitguard/status.h"

namespace jitguard_gateway {
namespace {

absl::Status Bad(std::string_view reason, std::string message) {
  return jitguard::MakeError(absl::StatusCode::kInvalidArgument, jitguard::ErrorDomain::kConfig,
                             reason, message);
}

bool ValidPort(std::string_view p, unsigned short* out) {
  unsigned v = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (ec != std::errc() || ptr != p.data() + p.size() || v > 65535) return false;
  *out = static_cast<unsigned short>(v);
  return true;
}

// Splits "host:port" / "[v6]:port" / "host".
bool SplitHostPort(std::string_view hp, std::string* host, std::string* port) {
  if (hp.empty()) return false;
  if (hp[0] == '[') {
    size_t close = hp.find(']');
    if (close == std::string_view::npos) return false;
    host->assign(hp.substr(1, close - 1));
    std::string_view rest = hp.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return false;
      port->assign(rest.substr(1));
    }
  } else {
    size_t colon = hp.rfind(':');
    if (colon != std::string_view::npos) {
      host->assign(hp.substr(0, colon));
      port->assign(hp.substr(colon + 1));
    } else {
      host->assign(hp);
    }
  }
  return !host->empty();
}

}  // namespace

absl::StatusOr<UpstreamUrl> ParseUpstreamUrl(std::string_view url) {
  UpstreamUrl u;
  std::string_view rest;
  if (url.substr(0, 7) == "http://") {
    rest = url.substr(7);
  } else if (url.substr(0, 8) == "https://") {
    u.tls = true;
    rest = url.substr(8);
  } else {
    return Bad("bad_url", "--upstream: expected an http:// or https:// URL");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Bad("bad_url", "--upstream: a query or fragment is not allowed");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) {
    return Bad("bad_url", "--upstream: credentials in the URL are not allowed (use --upstream-key-file)");
  }
  if (!SplitHostPort(authority, &u.host, &u.port)) return Bad("bad_url", "--upstream: no host");
  unsigned short p = 0;
  if (u.port.empty()) {
    u.port = u.tls ? "443" : "80";
  } else if (!ValidPort(u.port, &p) || p == 0) {
    return Bad("bad_url", "--upstream: bad port");
  }
  if (slash != std::string_view::npos) {
    u.base_path.assign(rest.substr(slash));
    while (!u.base_path.empty() && u.base_path.back() == '/') u.base_path.pop_back();
  }
  u.host_header = std::string(authority);
  return u;
}

absl::StatusOr<ListenAddress> ParseListen(std::string_view listen) {
  ListenAddress a;
  std::string port;
  if (!SplitHostPort(listen, &a.host, &port) || port.empty() || !ValidPort(port, &a.port)) {
    return Bad("bad_listen", "--listen: expected HOST:PORT");
  }
  return a;
}

}  // namespace jitguard_gateway
