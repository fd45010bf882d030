#pragma once
// Where a release lives: oci://HOST[:PORT]/REPOSITORY[:TAG][@sha256:DIGEST] (a registry's
// repository, by tag or by digest), file:///DIR/ (a folder), or https://HOST/PATH/ (a web
// folder). Parsing is pure and follows the distribution reference grammar, so that a reference
// the registry would refuse is refused here first, with the part at fault named.
#include <string>
#include <string_view>
#include <variant>

#include "common/util/text_values.hpp"

namespace trustnet {

struct OciReference {
  std::string host;  // host[:port] as written; an IPv6 address in brackets
  std::string repository;
  std::string tag;     // empty when only a digest is given
  std::string digest;  // "sha256:HEX", or empty

  std::string base_url() const { return "https://" + host + "/v2/" + repository; }
  // The digest when there is one (it pins the manifest), else the tag.
  const std::string& manifest_reference() const { return digest.empty() ? tag : digest; }
  std::string text() const;  // oci://host/repository[:tag][@digest]
};

Parsed<OciReference> parse_oci_reference(std::string_view text);

struct FolderLocation {
  std::string path;  // absolute, from file:///PATH
};
struct WebLocation {
  std::string url;  // https://…, ending in '/'
};
using ReleaseLocation = std::variant<OciReference, FolderLocation, WebLocation>;

// oci://, file:/// or https://; the problem names what is wrong with the text.
Parsed<ReleaseLocation> parse_release_location(std::string_view text);

// The place of appliance `name` under a location that holds one release per appliance:
// REPOSITORY/NAME for a registry, DIR/NAME/ for a folder, URL/NAME/ for a web folder.
ReleaseLocation release_of(const ReleaseLocation& location, const std::string& name);
std::string location_text(const ReleaseLocation& location);

}  // namespace trustnet
