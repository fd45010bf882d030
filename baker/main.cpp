// bake: turns recipes into golden Alpine aarch64 images, offline: the ext4 root edited in this
// process (libext2fs), or through libguestfs for a root the direct engine does not edit.
#include <CLI/CLI.hpp>

#include "baker/bake_command.hpp"
#include "baker/fetch_command.hpp"
#include "baker/plan_command.hpp"
#include "baker/push_command.hpp"
#include "baker/release_command.hpp"
#include "common/cli/command_line.hpp"

using namespace trustnet;
using namespace trustnet::baker;

namespace {

const Subcommand kSubcommands[] = {
    {"", "", declare_bake},
    {"plan", "print the ordered edits of recipes without touching any image", declare_plan},
    {"fetch", "download every input the recipes pin by URL into the cache, verified", declare_fetch},
    {"keygen", "make an Ed25519 release signing key: FILE (0600) and FILE.pub", declare_keygen},
    {"publish",
     "write signed release folders from baked images (compressed image, content listing, manifest, SHA256SUMS, "
     "signature)",
     declare_publish},
    {"verify", "check a release folder: signature, SHA256SUMS, image digest", declare_verify},
    {"push", "send release folders to an OCI registry, a folder or a web folder, where hosts pull them from",
     declare_push},
    {"contents",
     "print the content listing (mtree: type, mode, owner, size, SHA-256, link target of every file) of an "
     "image's root filesystem",
     declare_contents},
    {"diff", "list the files added, removed and changed between two images, release manifests or mtree listings",
     declare_diff},
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "bake: build TrustNet golden images (Alpine Linux aarch64) from recipes, offline.\n"
      "  bake NAME... | all      bake recipes/NAME.yaml into out/NAME.qcow2\n"
      "  bake plan NAME          print the edits without touching an image\n"
      "  bake fetch NAME... | all  download the pinned inputs into the cache\n"
      "  bake fetch --url URL --sha256 HEX  one pinned file into the cache; prints its path\n"
      "  bake keygen FILE        a release signing key pair\n"
      "  bake publish NAME... | all --key FILE   signed, compressed release folders\n"
      "  bake verify DIR --pubkey FILE           check a release folder\n"
      "  bake push NAME... | all --pubkey FILE --to oci://HOST/PREFIX:TAG | file:///DIR | https://HOST/PATH/\n"
      "  bake contents IMAGE     the content listing (mtree) of an image\n"
      "  bake diff A B           what differs between two images, manifests or listings",
      "bake"};
  app.set_version_flag("--version", std::string("bake ") + TRUSTNET_VERSION);
  return run_subcommands(app, kSubcommands, argc, argv, "bake");
}
