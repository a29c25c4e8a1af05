#pragma once

// URLs for the computers' outbound http API (ws://, wss://, http://, https://): parsing into
// the parts a client connection needs, and the rule of which hosts a computer may reach.
// Pure functions; no sockets (the policy is applied to addresses the client resolved).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redrund::net {

struct url_parts {
  std::string scheme;  // lower case: "ws", "wss", "http", "https"
  std::string host;    // a name or an address, without IPv6 brackets
  std::uint16_t port = 0;
  std::string target;  // path and query, "/" when the URL has none; the fragment is dropped
};

// Parses "scheme://host[:port][/path][?query][#fragment]". A URL without "://" gets
// `default_scheme` (CC reads "example.com:80" as a websocket URL). Returns nothing when the
// URL is malformed: no host, a bad port, user information, spaces or control characters.
std::optional<url_parts> parse_url(std::string_view text, std::string_view default_scheme);

// The port a scheme uses when the URL names none (80 or 443), 0 for unknown schemes.
std::uint16_t default_port(std::string_view scheme);

// Which hosts may be reached. As CC: Tweaked's default rules, private, loopback, link-local,
// multicast, unique-local and carrier-grade NAT addresses are denied and everything else is
// allowed; `allow` entries make exceptions to the denial: "*" (everything), a host name
// (matched without regard to case), an IP address, or a CIDR range ("10.0.0.0/8").
class host_policy {
 public:
  // Returns the policy, or nothing with `error` naming the bad entry.
  static std::optional<host_policy> parse(const std::vector<std::string>& allow, std::string& error);

  // `host` as written in the URL, `address` what it resolved to (text form).
  bool permits(std::string_view host, std::string_view address) const;

 private:
  struct range {
    std::vector<std::uint8_t> base;  // 4 or 16 bytes
    int prefix_bits = 0;
  };
  bool allow_all_ = false;
  std::vector<std::string> names_;  // lower case
  std::vector<range> ranges_;       // addresses are ranges of full length
};

// Parses an IPv4 or IPv6 address in text form into 4 or 16 bytes.
std::optional<std::vector<std::uint8_t>> parse_ip_address(std::string_view text);
// Whether CC: Tweaked's "$private" rule covers the address (4 or 16 bytes).
bool is_private_address(const std::vector<std::uint8_t>& bytes);

}  // namespace redrund::net
