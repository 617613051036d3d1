#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: debian/changelog's version is the project() version in CMakeLists.txt
#
# The version is defined once, in CMakeLists.txt's project(anycheck VERSION
# X.Y.Z), which the programs print with -V. The Debian package is native,
# so its version (the top entry of debian/changelog) must be that version
# exactly; this fails when one was bumped without the other. Without a
# debian/ directory (a tree without packaging) it is skipped (77).
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo" || exit 1

project=$(sed -nE 's/^project\(anycheck VERSION ([0-9]+(\.[0-9]+)*)[ )].*/\1/p' \
    CMakeLists.txt | head -n 1)
if [ -z "$project" ]; then
	echo "FAIL CMakeLists.txt has no line 'project(anycheck VERSION X.Y.Z ...)'"
	exit 1
fi
if [ ! -f debian/changelog ]; then
	echo "SKIP: no debian/changelog"
	exit 77
fi
# The first line of a Debian changelog: "SOURCE (VERSION) DISTRIBUTION; ...".
read -r source version _ <debian/changelog
version=${version#(}
version=${version%)}
status=0
if [ "$source" != anycheck ]; then
	echo "FAIL debian/changelog's top entry is for '$source', not anycheck"
	status=1
fi
if [ "$version" != "$project" ]; then
	echo "FAIL debian/changelog's top version is '$version'; CMakeLists.txt's project() says $project (the package is native: they must be equal)"
	status=1
fi
[ $status = 0 ] && echo "PASS version $project in CMakeLists.txt and debian/changelog"
exit $status
