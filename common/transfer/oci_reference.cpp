#include "common/transfer/oci_reference.hpp"
#include "common/util/overloaded.hpp"

#include <fmt/format.h>

#include <regex>

#include "common/config/rules.hpp"

namespace trustnet {

namespace {

// The distribution reference grammar (distribution/reference/regexp.go), lower case only.
const std::regex kPathComponent("[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*");
const std::regex kTag("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
const std::regex kHostName("[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*");

Problem check_host(std::string_view host) {
  std::string_view name = host;
  if (host.starts_with('[')) {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return "the IPv6 address lacks its closing ']'";
    if (!parse_ipv6(host.substr(1, close - 1)))
      return fmt::format("'{}' is not an IPv6 address", host.substr(1, close - 1));
    name = {};
    host.remove_prefix(close + 1);
    if (!host.empty() && !host.starts_with(':')) return "only :PORT may follow the IPv6 address";
  } else {
    const size_t colon = host.rfind(':');
    name = host.substr(0, colon);
    host = colon == std::string_view::npos ? std::string_view{} : host.substr(colon);
    if (name.empty()) return "the host is empty";
    if (!std::regex_match(name.begin(), name.end(), kHostName))
      return fmt::format("'{}' is not a host name", printable(name));
  }
  if (!host.empty() && !parse_port(host.substr(1)))
    return fmt::format("'{}' is not a port (1 to 65535)", printable(host.substr(1)));
  return std::nullopt;
}

Problem check_repository(std::string_view repository) {
  if (repository.empty()) return "the repository is empty";
  if (repository.size() > 255) return "the repository is longer than 255 characters";
  size_t start = 0;
  while (true) {
    const size_t slash = repository.find('/', start);
    const std::string_view component = repository.substr(start, slash - start);
    if (!std::regex_match(component.begin(), component.end(), kPathComponent))
      return fmt::format("repository component '{}' must be lower-case letters and digits, joined by '.', '_' or '-'",
                         printable(component));
    if (slash == std::string_view::npos) return std::nullopt;
    start = slash + 1;
  }
}

}  // namespace

std::string OciReference::text() const {
  std::string text = "oci://" + host + "/" + repository;
  if (!tag.empty()) text += ":" + tag;
  if (!digest.empty()) text += "@" + digest;
  return text;
}

Parsed<OciReference> parse_oci_reference(std::string_view text) {
  auto fail = [&](const std::string& why) {
    return Parsed<OciReference>{
        {}, fmt::format("'{}' is not oci://HOST[:PORT]/REPOSITORY[:TAG][@sha256:DIGEST]: {}", printable(text), why)};
  };
  std::string_view rest = text;
  if (!rest.starts_with("oci://")) return fail("it does not start with oci://");
  rest.remove_prefix(6);
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return fail("it names no repository");
  OciReference reference;
  reference.host = rest.substr(0, slash);
  if (auto problem = check_host(reference.host)) return fail(*problem);
  rest.remove_prefix(slash + 1);
  if (const size_t at = rest.find('@'); at != std::string_view::npos) {
    const std::string_view digest = rest.substr(at + 1);
    if (!digest.starts_with("sha256:")) return fail("the digest must be sha256:HEX");
    const Parsed<std::string> hex = parse_sha256(digest.substr(7));
    if (hex.problem) return fail("the digest " + *hex.problem);
    reference.digest = "sha256:" + hex.value;
    rest = rest.substr(0, at);
  }
  // A ':' after the last '/' starts the tag (one before it would be in the host, handled above).
  if (const size_t colon = rest.rfind(':'); colon != std::string_view::npos && rest.find('/', colon) == rest.npos) {
    reference.tag = rest.substr(colon + 1);
    if (!std::regex_match(reference.tag, kTag))
      return fail(
          fmt::format("tag '{}' must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
                      printable(reference.tag)));
    rest = rest.substr(0, colon);
  }
  reference.repository = rest;
  if (auto problem = check_repository(reference.repository)) return fail(*problem);
  return {reference, std::nullopt};
}

Parsed<ReleaseLocation> parse_release_location(std::string_view text) {
  if (text.starts_with("oci://")) {
    auto parsed = parse_oci_reference(text);
    return {parsed.value, parsed.problem};
  }
  if (text.starts_with("file://")) {
    const std::string_view path = text.substr(7);
    if (!path.starts_with('/'))
      return {{}, fmt::format("'{}': a folder is file:///ABSOLUTE/PATH (no host)", printable(text))};
    if (path.find('\0') != std::string_view::npos || path.find('\n') != std::string_view::npos)
      return {{}, fmt::format("'{}': the path holds a control character", printable(text))};
    return {FolderLocation{std::string(path)}, std::nullopt};
  }
  if (text.starts_with("https://") || text.starts_with("http://")) {
    const size_t host_start = text.find("//") + 2;
    const size_t slash = text.find('/', host_start);
    const std::string_view host = text.substr(host_start, slash - host_start);
    if (auto problem = check_host(host)) return {{}, fmt::format("'{}': {}", printable(text), *problem)};
    for (const char c : text)
      if (static_cast<unsigned char>(c) <= ' ' || c == '?' || c == '#' || c == 0x7f)
        return {{},
                fmt::format("'{}': a web folder's address holds no spaces, control characters, query or fragment",
                            printable(text))};
    std::string url(text);
    if (!url.ends_with('/')) url += '/';
    return {WebLocation{url}, std::nullopt};
  }
  return {{}, fmt::format("'{}' is not oci://HOST/REPOSITORY:TAG, file:///DIR or https://HOST/PATH/", printable(text))};
}

ReleaseLocation release_of(const ReleaseLocation& location, const std::string& name) {
  return std::visit(overloaded{
                        [&](const OciReference& oci) -> ReleaseLocation {
                          OciReference reference = oci;
                          reference.repository += "/" + name;
                          return reference;
                        },
                        [&](const FolderLocation& folder) -> ReleaseLocation {
                          std::string path = folder.path;
                          if (!path.ends_with('/')) path += '/';
                          return FolderLocation{path + name};
                        },
                        [&](const WebLocation& web) -> ReleaseLocation { return WebLocation{web.url + name + "/"}; },
                    },
                    location);
}

std::string location_text(const ReleaseLocation& location) {
  return std::visit(overloaded{
                        [](const OciReference& oci) { return oci.text(); },
                        [](const FolderLocation& folder) { return "file://" + folder.path; },
                        [](const WebLocation& web) { return web.url; },
                    },
                    location);
}

}  // namespace trustnet
