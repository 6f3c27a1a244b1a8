// The upstream's base URL (http:// or https://, host, port, base path) and HOST:PORT listen addresses.
#ifndef JITGUARD_GATEWAY_UPSTREAM_URL_H_
#define JITGUARD_GATEWAY_UPSTREAM_URL_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace jitguard_gateway {

struct UpstreamUrl {
  bool tls = false;
  std::string host;       // without brackets
  std::string port;       // "80" / "443" by default
  std::string base_path;  // "" or "/prefix" (no trailing slash); the client's path is appended
  std::string host_header;  // Host: value
};

// Errors: kInvalidArgument "bad_url" (another scheme, no host, a query, user info).
absl::StatusOr<UpstreamUrl> ParseUpstreamUrl(std::string_view url);

struct ListenAddress {
  std::string host;
  unsigned short port = 0;
};

// "HOST:PORT" or "[V6]:PORT". Errors: "bad_listen".
absl::StatusOr<ListenAddress> ParseListen(std::string_view listen);

}  // namespace jitguard_gateway

#endif  // JITGUARD_GATEWAY_UPSTREAM_URL_H_
