#include "baker/render/caddyfile.hpp"

#include <fmt/format.h>

namespace trustnet::baker {

namespace {

// One ACME issuer: its directory, the contact, its root when not public, and the one challenge
// the operator forwarded a port for (the others are off: Caddy would wait on them in vain).
std::string acme_issuer(const AcmeSpec& acme, const std::string& directory, int https_port) {
  std::string text = fmt::format("\t\tissuer acme {{\n\t\t\tdir {}\n\t\t\temail {}\n", directory, acme.email);
  if (!acme.root_pem.empty()) text += fmt::format("\t\t\ttrusted_roots {}\n", acme.root_path);
  switch (acme.challenge) {
    case AcmeSpec::Challenge::tls_alpn:
      // The public 443 arrives at https_port, where the site's own listener answers acme-tls/1.
      text += fmt::format("\t\t\tdisable_http_challenge\n\t\t\talt_tlsalpn_port {}\n", https_port);
      break;
    case AcmeSpec::Challenge::http: text += "\t\t\tdisable_tlsalpn_challenge\n\t\t\talt_http_port 80\n"; break;
    case AcmeSpec::Challenge::dns:
      text += fmt::format("\t\t\tdisable_http_challenge\n\t\t\tdisable_tlsalpn_challenge\n\t\t\tdns {}\n",
                          acme.dns_provider);
      break;
  }
  return text + "\t\t}\n";
}

}  // namespace

std::string render_caddyfile(const RegistrySpec& r) {
  const bool acme = r.tls == RegistrySpec::Tls::acme;
  std::string text = "# Written by bake from the registry recipe; edit the recipe, not this file.\n{\n\tadmin off\n";
  text += fmt::format("\tstorage file_system {{\n\t\troot {}\n\t}}\n", r.caddy_data);
  // Port 80 serves no redirects (http-01 answers there only while a challenge runs).
  text += "\tauto_https disable_redirects\n}\n\n";
  std::string sites;
  for (const auto& name : r.names)
    sites += fmt::format("{}https://{}:{}", sites.empty() ? "" : ", ", name, r.https_port);
  // A public CA cannot certify addresses: they are served only with the TrustNet CA.
  if (!acme)
    for (const auto& address : r.addresses)
      sites += fmt::format("{}https://[{}]:{}", sites.empty() ? "" : ", ", address, r.https_port);
  text += sites + " {\n";
  if (acme) {
    // Explicit issuers: Caddy's defaults (Let's Encrypt, then ZeroSSL) are never used.
    text += "\ttls {\n" + acme_issuer(r.acme, r.acme.directory, r.https_port);
    if (r.acme.second_directory) text += acme_issuer(r.acme, *r.acme.second_directory, r.https_port);
    text += "\t}\n";
  } else {
    text += fmt::format("\ttls {} {}\n", r.certificate, r.key);
  }
  text += fmt::format("\thandle /health {{\n\t\trewrite * /debug/health\n\t\treverse_proxy {}\n\t}}\n", r.debug_listen);
  text += fmt::format("\thandle {{\n\t\treverse_proxy {}\n\t}}\n}}\n", r.listen);
  return text;
}

}  // namespace trustnet::baker
