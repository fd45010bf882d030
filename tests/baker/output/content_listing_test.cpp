#include "baker/output/content_listing.hpp"

#include <doctest/doctest.h>

#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::baker;
namespace fs = std::filesystem;

namespace {

// A small root: folders, files (one with a space, one setuid), a symlink and a hard link.
void make_tree(const test::TempDir& dir) {
  dir.write("root/etc/hostname", "trustnet-node\n");
  dir.write("root/etc/motd file", "welcome\n");
  dir.write("root/usr/local/bin/tool", "#!/bin/sh\n");
  fs::permissions(dir / "root/usr/local/bin/tool", fs::perms(04755));
  fs::create_symlink("../usr/local/bin/tool", dir / "root/etc/tool-link");
  fs::create_hard_link(dir / "root/etc/hostname", dir / "root/etc/hostname.hard");
}

}  // namespace

TEST_CASE(
    "a root's listing gives type, mode, owner, size, SHA-256 and link target, the same whatever the tar's order") {
  test::TempDir dir;
  make_tree(dir);
  const fs::path a = dir / "a.tar", b = dir / "b.tar";
  run_checked({"tar", "--numeric-owner", "-C", (dir / "root").string(), "-cf", a.string(), "."});
  // The same entries in another order, as another bake's readdir might give them.
  run_checked({"tar", "--numeric-owner", "--no-recursion", "-C", (dir / "root").string(), "-cf", b.string(),
               "./usr/local/bin/tool", "./usr/local/bin", "./usr/local", "./usr", "./etc/tool-link", "./etc/motd file",
               "./etc/hostname.hard", "./etc/hostname", "./etc", "."});
  const std::string text = mtree_from_tar(a);
  CHECK(text == mtree_from_tar(b));
  CHECK(text.starts_with("#mtree\n"));
  CHECK(text.find("time=") == std::string::npos);

  const Listing listing = parse_mtree(text, "a.mtree");
  CHECK(listing.size() == 10);
  CHECK(listing_entries(text) == 10);
  const auto& hostname = listing.at("./etc/hostname").keywords;
  CHECK(hostname.at("type") == "file");
  CHECK(hostname.at("size") == "14");
  CHECK(hostname.at("sha256digest") == sha256_hex("trustnet-node\n"));
  CHECK(hostname.at("uid") == std::to_string(::getuid()));
  CHECK(listing.at("./etc/hostname.hard").keywords.at("sha256digest") ==
        hostname.at("sha256digest"));                               // a hard link is its file
  CHECK(listing.at("./etc/motd file").keywords.at("size") == "8");  // "\040" in the text
  CHECK(text.find("./etc/motd\\040file ") != std::string::npos);
  CHECK(listing.at("./usr/local/bin/tool").keywords.at("mode") == "4755");
  CHECK(listing.at("./etc/tool-link").keywords.at("type") == "link");
  CHECK(listing.at("./etc/tool-link").keywords.at("link") == "../usr/local/bin/tool");
  CHECK(listing.at(".").keywords.at("type") == "dir");
}

TEST_CASE("the difference of two listings names added, removed and changed paths with what changed") {
  const Listing before = parse_mtree(
      "#mtree\n"
      "./etc/hostname mode=644 uid=0 gid=0 type=file size=14 sha256digest=aa\n"
      "./etc/old mode=644 uid=0 gid=0 type=file size=1 sha256digest=bb\n"
      "./etc/key mode=644 uid=0 gid=0 type=file size=1 sha256digest=cc\n",
      "before");
  const Listing after = parse_mtree(
      "#mtree\n"
      "./etc/hostname mode=644 uid=0 gid=0 type=file size=18 sha256digest=dd\n"
      "./etc/key mode=600 uid=0 gid=0 type=file size=1 sha256digest=cc\n"
      "./etc/new mode=644 uid=0 gid=0 type=file size=1 sha256digest=ee\n",
      "after");
  const ListingDiff diff = diff_listings(before, after);
  CHECK(render_diff(diff) ==
        "added   /etc/new\n"
        "removed /etc/old\n"
        "changed /etc/hostname: content, size 14 -> 18\n"
        "changed /etc/key: mode 644 -> 600\n");
  CHECK(diff_listings(before, before).empty());
  CHECK_THROWS_WITH_AS(parse_mtree("#mtree\nusr/bin x=1\n", "bad.mtree"),
                       "bad.mtree:2: 'usr/bin' is not a path of a content listing", Error);
  CHECK_THROWS_WITH_AS(parse_mtree("./usr novalue\n", "bad.mtree"), "bad.mtree:1: 'novalue' is not keyword=value",
                       Error);
}

TEST_CASE(
    "a listing with a broken escape is an error naming its line (found by fuzzing: it was an uncaught exception)") {
  CHECK_THROWS_WITH_AS(parse_mtree("#mtree\n./a\\8xy mode=644\n", "x.mtree"),
                       "x.mtree:2: a backslash not followed by three octal digits up to 377", Error);
  CHECK_THROWS_WITH_AS(parse_mtree("#mtree\n./a mode=6\\4\n", "x.mtree"),
                       "x.mtree:2: a backslash not followed by three octal digits up to 377", Error);
  CHECK(parse_mtree("#mtree\n./a\\040b mode=644\n", "x.mtree").count("./a b") == 1);
}

TEST_CASE("a listing renders in one order with every odd byte escaped, and reads back the same") {
  Listing listing;
  listing["./b"].keywords = {{"type", "dir"}, {"mode", "755"}, {"uid", "0"}, {"gid", "0"}};
  listing["./a name#with=odd\\bytes\n\x01\xff"].keywords = {{"type", "file"}, {"mode", "644"},
                                                            {"uid", "1"},     {"gid", "2"},
                                                            {"size", "3"},    {"sha256digest", std::string(64, 'a')},
                                                            {"zzz", "x y"}};
  listing["./c"].keywords = {
      {"type", "link"}, {"mode", "777"}, {"uid", "0"}, {"gid", "0"}, {"link", "/target with space"}};
  const std::string text = render_mtree(listing);
  CHECK(text ==
        "#mtree\n"
        "./a\\040name\\043with\\075odd\\134bytes\\012\\001\\377 mode=644 gid=2 uid=1 type=file size=3 sha256digest=" +
            std::string(64, 'a') +
            " zzz=x\\040y\n"
            "./b mode=755 gid=0 uid=0 type=dir\n"
            "./c mode=777 gid=0 uid=0 type=link link=/target\\040with\\040space\n");
  const Listing again = parse_mtree(text, "x.mtree");
  CHECK(diff_listings(listing, again).empty());
  CHECK(render_mtree(again) == text);
}
