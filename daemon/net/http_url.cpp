#include "net/http_url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace redrund::net {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool valid_scheme(std::string_view scheme) {
  if (scheme.empty() || !std::isalpha(static_cast<unsigned char>(scheme[0]))) return false;
  return std::all_of(scheme.begin(), scheme.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '+' || c == '-' || c == '.';
  });
}

bool valid_host_name(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
  });
}

// "host", "host:port", "[v6]" or "[v6]:port" into `out`; false when malformed.
bool parse_authority(std::string_view authority, url_parts& out) {
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return false;
    out.host = std::string(authority.substr(1, close - 1));
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    if (!rest.empty()) port_text = rest.substr(1);
    if (!parse_ip_address(out.host) || out.host.find(':') == std::string::npos) return false;
  } else {
    const auto colon = authority.rfind(':');
    out.host = lower(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (!valid_host_name(out.host)) return false;
  }
  if (port_text.empty()) return true;  // "host:" keeps the scheme's port, as java.net.URI
  unsigned port = 0;
  const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) return false;
  out.port = static_cast<std::uint16_t>(port);
  return true;
}

// Whether the first `prefix_bits` bits of `address` equal those of `base` (which may be
// shorter than the address, holding just the prefix's bytes).
bool in_range(const std::vector<std::uint8_t>& address, const std::vector<std::uint8_t>& base, int prefix_bits) {
  const auto prefix_bytes = static_cast<std::size_t>(prefix_bits + 7) / 8;
  if (address.size() < prefix_bytes || base.size() < prefix_bytes) return false;
  for (std::size_t i = 0; i < address.size() && prefix_bits > 0; ++i, prefix_bits -= 8) {
    const int bits = std::min(prefix_bits, 8);
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((address[i] & mask) != (base[i] & mask)) return false;
  }
  return true;
}

bool is_private_v4(const std::vector<std::uint8_t>& a) {
  const auto starts = [&](std::vector<std::uint8_t> base, int bits) { return in_range(a, base, bits); };
  return starts({0, 0, 0, 0}, 32)           // the unspecified address
         || starts({127, 0, 0, 0}, 8)       // loopback
         || starts({169, 254, 0, 0}, 16)    // link-local
         || starts({10, 0, 0, 0}, 8) || starts({172, 16, 0, 0}, 12) || starts({192, 168, 0, 0}, 16)
         || starts({224, 0, 0, 0}, 4)       // multicast
         || starts({100, 64, 0, 0}, 10)     // carrier-grade NAT
         || starts({192, 0, 0, 192}, 32);   // a cloud provider's metadata address CC also blocks
}

}  // namespace

std::uint16_t default_port(std::string_view scheme) {
  if (scheme == "ws" || scheme == "http") return 80;
  if (scheme == "wss" || scheme == "https") return 443;
  return 0;
}

std::optional<url_parts> parse_url(std::string_view text, std::string_view default_scheme) {
  const bool bad_character = std::any_of(text.begin(), text.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
  if (text.empty() || bad_character) return std::nullopt;
  url_parts out;
  std::string_view rest = text;
  if (const auto marker = text.find("://"); marker != std::string_view::npos) {
    if (!valid_scheme(text.substr(0, marker))) return std::nullopt;
    out.scheme = lower(text.substr(0, marker));
    rest = text.substr(marker + 3);
  } else {
    out.scheme = std::string(default_scheme);
  }
  const auto authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  if (authority.find('@') != std::string_view::npos || !parse_authority(authority, out)) return std::nullopt;
  if (out.port == 0) out.port = default_port(out.scheme);
  std::string_view target = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  target = target.substr(0, target.find('#'));
  out.target = target.empty() || target.front() != '/' ? "/" + std::string(target) : std::string(target);
  return out;
}

std::optional<std::vector<std::uint8_t>> parse_ip_address(std::string_view text) {
  const std::string copy(text);
  std::vector<std::uint8_t> bytes(16);
  if (inet_pton(AF_INET, copy.c_str(), bytes.data()) == 1) {
    bytes.resize(4);
    return bytes;
  }
  if (inet_pton(AF_INET6, copy.c_str(), bytes.data()) == 1) return bytes;
  return std::nullopt;
}

bool is_private_address(const std::vector<std::uint8_t>& bytes) {
  if (bytes.size() == 4) return is_private_v4(bytes);
  if (bytes.size() != 16) return true;  // not an address: refuse
  // An IPv4-mapped address (::ffff:a.b.c.d) is judged as the IPv4 address it carries.
  if (in_range(bytes, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0}, 96))
    return is_private_v4({bytes[12], bytes[13], bytes[14], bytes[15]});
  const std::vector<std::uint8_t> zero(16, 0);
  std::vector<std::uint8_t> loopback(16, 0);
  loopback[15] = 1;
  return bytes == zero || bytes == loopback
         || in_range(bytes, {0xfe, 0x80}, 10) || in_range(bytes, {0xfe, 0xc0}, 10)  // link- and site-local
         || bytes[0] == 0xff                                                            // multicast
         || bytes[0] == 0xfd;                                                           // unique local, as CC
}

std::optional<host_policy> host_policy::parse(const std::vector<std::string>& allow, std::string& error) {
  host_policy policy;
  for (const std::string& entry : allow) {
    if (entry == "*") {
      policy.allow_all_ = true;
      continue;
    }
    const auto slash = entry.find('/');
    const auto address = parse_ip_address(std::string_view(entry).substr(0, slash));
    if (address) {
      int bits = static_cast<int>(address->size()) * 8;
      if (slash != std::string::npos) {
        const std::string_view prefix = std::string_view(entry).substr(slash + 1);
        int parsed = -1;
        const auto [end, failed] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), parsed);
        if (failed != std::errc() || end != prefix.data() + prefix.size() || parsed < 0 || parsed > bits) {
          error = "bad CIDR prefix in '" + entry + "'";
          return std::nullopt;
        }
        bits = parsed;
      }
      policy.ranges_.push_back({*address, bits});
    } else if (slash == std::string::npos && valid_host_name(entry)) {
      policy.names_.push_back(lower(entry));
    } else {
      error = "'" + entry + "' is not a host name, an IP address or a CIDR range";
      return std::nullopt;
    }
  }
  return policy;
}

bool host_policy::permits(std::string_view host, std::string_view address) const {
  if (allow_all_) return true;
  if (std::find(names_.begin(), names_.end(), lower(host)) != names_.end()) return true;
  const auto bytes = parse_ip_address(address);
  if (!bytes) return false;
  for (const range& r : ranges_)
    if (r.base.size() == bytes->size() && in_range(*bytes, r.base, r.prefix_bits)) return true;
  return !is_private_address(*bytes);
}

}  // namespace redrund::net
