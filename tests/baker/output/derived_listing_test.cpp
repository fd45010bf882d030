#include "baker/output/derived_listing.hpp"

#include <doctest/doctest.h>

#include "common/util/error.hpp"
#include "common/util/sha256.hpp"

using namespace trustnet;
using namespace trustnet::baker;

namespace {

const char* const kBase =
    "#mtree\n"
    ". mode=755 gid=0 uid=0 type=dir\n"
    "./etc mode=755 gid=0 uid=0 type=dir\n"
    "./etc/passwd mode=644 gid=0 uid=0 type=file size=5 sha256digest=aa\n"
    "./etc/shadow mode=640 gid=42 uid=0 type=file size=5 sha256digest=bb\n"
    "./etc/ssh mode=755 gid=0 uid=0 type=dir\n"
    "./etc/ssh/ssh_host_rsa_key mode=600 gid=0 uid=0 type=file size=5 sha256digest=cc\n"
    "./home mode=755 gid=0 uid=0 type=dir\n"
    "./home/alpine mode=755 gid=1000 uid=1000 type=dir\n"
    "./home/alpine/.profile mode=644 gid=1000 uid=1000 type=file size=1 sha256digest=dd\n"
    "./home/alpine2 mode=755 gid=1001 uid=1001 type=dir\n";

}  // namespace

TEST_CASE(
    "the bake's edits applied to the base's listing give the files, folders and links it made and drop what it "
    "removed") {
  Listing listing = parse_mtree(kBase, "base.mtree");
  TreeEdits edits{
      TreeEdit::removed("/etc/ssh/ssh_host_rsa_key"),
      TreeEdit::removed_tree("/home/alpine"),
      // an existing file rewritten keeps the mode and owner it had (the executor reads them)
      TreeEdit::file("/etc/shadow", 0640, 0, 42, 9, sha256_hex("new:data\n")),
      TreeEdit::directory("/opt", 0755, 0, 0),
      TreeEdit::directory("/opt/trustnet", 0755, 0, 0),
      TreeEdit::directory("/opt/trustnet", 0750, 1100, 1100),  // then chmodded and chowned: the last word counts
      TreeEdit::file("/opt/trustnet/tool", 04755, 0, 0, 0, sha256_hex("")),
      TreeEdit::symlink("/etc/runlevels/default/tendermint", 0, 0, "/etc/init.d/tendermint"),
  };
  apply_tree_edits(listing, edits);
  CHECK_FALSE(listing.contains("./etc/ssh/ssh_host_rsa_key"));
  CHECK(listing.contains("./etc/ssh"));
  CHECK_FALSE(listing.contains("./home/alpine"));
  CHECK_FALSE(listing.contains("./home/alpine/.profile"));
  CHECK(listing.contains("./home/alpine2"));  // a name that merely starts the same stays
  CHECK(render_mtree(listing) ==
        "#mtree\n"
        ". mode=755 gid=0 uid=0 type=dir\n"
        "./etc mode=755 gid=0 uid=0 type=dir\n"
        "./etc/passwd mode=644 gid=0 uid=0 type=file size=5 sha256digest=aa\n"
        "./etc/runlevels/default/tendermint mode=777 gid=0 uid=0 type=link link=/etc/init.d/tendermint\n"
        "./etc/shadow mode=640 gid=42 uid=0 type=file size=9 sha256digest=" +
            sha256_hex("new:data\n") +
            "\n"
            "./etc/ssh mode=755 gid=0 uid=0 type=dir\n"
            "./home mode=755 gid=0 uid=0 type=dir\n"
            "./home/alpine2 mode=755 gid=1001 uid=1001 type=dir\n"
            "./opt mode=755 gid=0 uid=0 type=dir\n"
            "./opt/trustnet mode=750 gid=1100 uid=1100 type=dir\n"
            "./opt/trustnet/tool mode=4755 gid=0 uid=0 type=file size=0 sha256digest=" +
            sha256_hex("") + "\n");
}

TEST_CASE("an edit of a path that is not absolute is an error, not a listing entry") {
  Listing listing = parse_mtree(kBase, "base.mtree");
  CHECK_THROWS_WITH_AS(apply_tree_edits(listing, {TreeEdit::removed("etc/passwd")}),
                       "the bake edited 'etc/passwd', which is not an absolute path", Error);
}
