#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Checks every #include "..." of every .c/.h file in the tree against the
# layer table of the Makefile (run as `make check-deps`, the first step of
# `make check`):
#
#   scripts/check-deps.sh [-r ROOT]... [-l FOLDER]... 'NAME=FOLDER DEP...'...
#
#   -r ROOT    an include root, as the compiler's -iquote (in its order)
#   -l FOLDER  files directly in FOLDER only warn about include style
#   NAME=...   one layer: its folder (a glob such as test/* may cover
#              several), then the layers it may include; LAYER:GLOB grants
#              only that layer's headers whose name matches GLOB; * grants all
#
# Rules: every folder holding a .c/.h file belongs to exactly one layer; an
# include names a header beside the includer by its bare name and any other
# by its path from the first root that holds it ("core/log.h"), never with
# "../"; and the header's layer is the includer's own or one it may include.
# Each violation prints FILE:LINE, the #include and the rule; exit 1.
set -u
set -f # layer globs (test/*, *) are patterns, never file names
LC_ALL=C
export LC_ALL

roots=()
legacy=()
while getopts "r:l:" opt; do
	case $opt in
	r) roots+=("${OPTARG%/}") ;;
	l) legacy+=("${OPTARG%/}") ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))

declare -A layer_folder layer_deps
layer_names=()
for entry in "$@"; do
	name=${entry%%=*}
	read -r folder deps <<<"${entry#*=}"
	if [ -z "$name" ] || [ -z "$folder" ] || [ "$name" = "$entry" ]; then
		echo "check-deps: bad layer entry '$entry'" >&2
		exit 2
	fi
	layer_names+=("$name")
	layer_folder[$name]=$folder
	layer_deps[$name]=$deps
done
if [ ${#layer_names[@]} -eq 0 ]; then
	echo "check-deps: no layer table given (run it as make check-deps)" >&2
	exit 2
fi

# the table itself: every grant names a layer, and no layer reaches up
for n in "${layer_names[@]}"; do
	for d in ${layer_deps[$n]}; do
		d=${d%%:*}
		if [ "$d" != "*" ] && [ -z "${layer_folder[$d]+x}" ]; then
			echo "check-deps: LAYER_$n grants '$d', which is no layer" >&2
			exit 2
		fi
	done
done
declare -A state # unset: not seen, 1: on the current path, 2: done
# visit LAYER PATH: fails on a cycle of grants through LAYER
visit() {
	local n=$1 path=$2 d
	[ "${state[$n]:-0}" = 2 ] && return 0
	if [ "${state[$n]:-0}" = 1 ]; then
		echo "check-deps: the layer table has a cycle: $path" >&2
		exit 2
	fi
	state[$n]=1
	for d in ${layer_deps[$n]}; do
		d=${d%%:*}
		[ "$d" = "*" ] || [ "$d" = "$n" ] || visit "$d" "$path -> $d"
	done
	state[$n]=2
}
for n in "${layer_names[@]}"; do
	visit "$n" "$n"
done

cd "$(dirname "$0")/.." || exit 2

errors=0
warnings=0
declare -A folder_layer

# layer_of FOLDER: sets $layer to the one layer whose folder (glob) matches
layer_of() {
	local f=$1 n match=""
	if [ -n "${folder_layer[$f]+x}" ]; then
		layer=${folder_layer[$f]}
		return
	fi
	for n in "${layer_names[@]}"; do
		# shellcheck disable=SC2053 # the folder is a glob on purpose
		if [[ $f == ${layer_folder[$n]} ]]; then
			if [ -n "$match" ]; then
				echo "check-deps: folder $f is in layers $match and $n" >&2
				exit 2
			fi
			match=$n
		fi
	done
	folder_layer[$f]=$match
	layer=$match
}

# allowed FROM TO HEADER: may layer FROM include HEADER of layer TO?
allowed() {
	local from=$1 to=$2 header=$3 d
	[ "$from" = "$to" ] && return 0
	for d in ${layer_deps[$from]}; do
		case $d in
		"*" | "$to") return 0 ;;
		"$to":*)
			# shellcheck disable=SC2053 # the grant is a glob on purpose
			[[ ${header##*/} == ${d#*:} ]] && return 0
			;;
		esac
	done
	return 1
}

# normalise PATH: resolves "." and ".." components
normalise() {
	local IFS=/ part out=()
	for part in $1; do
		case $part in
		"" | .) ;;
		..) [ ${#out[@]} -gt 0 ] && unset 'out[${#out[@]}-1]' ;;
		*) out+=("$part") ;;
		esac
	done
	norm="${out[*]}"
}

report() {
	echo "$1:$2: #include \"$3\": ${*:4}" >&2
	errors=$((errors + 1))
}

while IFS= read -r -d '' file; do
	file=${file#./}
	dir=.
	[[ $file == */* ]] && dir=${file%/*}
	layer_of "$dir"
	if [ -z "$layer" ]; then
		echo "$file: folder $dir is in no layer: add" \
			"LAYER_<name> := $dir <layers it may include> to the" \
			"layer table in the Makefile" >&2
		errors=$((errors + 1))
		continue
	fi
	from=$layer
	is_legacy=0
	for l in "${legacy[@]}"; do
		[ "$dir" = "$l" ] && is_legacy=1
	done
	while IFS=: read -r lineno inc; do
		# resolve as the compiler does: beside the includer, then roots
		resolved=""
		for base in "$dir" "${roots[@]}"; do
			normalise "$base/$inc"
			if [ -f "$norm" ]; then
				resolved=$norm
				break
			fi
		done
		if [ -z "$resolved" ]; then
			report "$file" "$lineno" "$inc" \
				"no such header beside the file or under" \
				"the include roots (${roots[*]})"
			continue
		fi
		hdir=.
		[[ $resolved == */* ]] && hdir=${resolved%/*}
		# the one spelling: bare beside the includer, else from a root
		canon=""
		if [ "$hdir" = "$dir" ]; then
			canon=${resolved##*/}
		else
			for r in "${roots[@]}"; do
				if [ "$r" = . ]; then
					canon=$resolved
					break
				elif [ "${resolved#"$r"/}" != "$resolved" ]; then
					canon=${resolved#"$r"/}
					break
				fi
			done
		fi
		if [ "$inc" != "$canon" ]; then
			if [ $is_legacy -eq 1 ]; then
				echo "$file:$lineno: warning: #include \"$inc\":" \
					"write \"$canon\" (legacy layout," \
					"see DEPS_STYLE_LEGACY)" >&2
				warnings=$((warnings + 1))
			else
				report "$file" "$lineno" "$inc" \
					"include style: write \"${canon:-$resolved}\"" \
					"(bare name beside the file, else the" \
					"path from an include root: ${roots[*]})"
			fi
		fi
		layer_of "$hdir"
		to=$layer
		if [ -z "$to" ]; then
			report "$file" "$lineno" "$inc" \
				"$resolved is in folder $hdir, which is in no layer"
			continue
		fi
		if ! allowed "$from" "$to" "$resolved"; then
			report "$file" "$lineno" "$inc" \
				"layer $from (${layer_folder[$from]}) may not" \
				"include layer $to (${layer_folder[$to]});" \
				"LAYER_$from allows: ${layer_deps[$from]:-only itself}"
		fi
	done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" |
		sed -n 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1:\2/p')
done < <(find . \( -path ./build -o -path './.*' \) -prune -o \
	-type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z)

if [ $errors -gt 0 ]; then
	echo "check-deps: $errors violation(s) of the layer table" \
		"(Makefile, doc/architecture.md)" >&2
	exit 1
fi
echo "check-deps: every #include follows the layer table" \
	"($warnings legacy style warning(s))"
