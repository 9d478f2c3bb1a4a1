#!/usr/bin/env bash
# End-to-end tests and benchmarks in real Chromium, inside a loopback-only network namespace.
#
#   bash tests/tools/e2e.sh [playwright test args…]   Playwright (tests/e2e)
#   bash tests/tools/e2e.sh bench:join                tests/bench/join.mjs
#   bash tests/tools/e2e.sh bench:mesh                tests/bench/mesh.mjs
#   bash tests/tools/e2e.sh bench:files               tests/bench/files.mjs (also bench:history, bench:record,
#                                                     bench:effects)
#
# Media fixtures (one camera colour and one tone per participant) are generated with ffmpeg into
# tests/.media/ when missing. As root, the run happens in a new network namespace whose only
# interface is loopback (see ARCHITECTURE.md, "Tests"), so WebRTC cannot gather any other candidate.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

media="tests/.media"
mkdir -p "$media"

# Chromium loops these files; solid colours and steady tones loop without visible seams.
seconds=5
for colour in red:0xFF0000 green:0x00FF00 blue:0x0000FF yellow:0xFFFF00; do
	name="${colour%%:*}"
	if [[ ! -s "$media/$name.y4m" ]]; then
		ffmpeg -nostdin -loglevel error -y -f lavfi -i "color=c=${colour#*:}:s=320x240:r=15" \
			-t "$seconds" -pix_fmt yuv420p "$media/$name.y4m.tmp.y4m"
		mv "$media/$name.y4m.tmp.y4m" "$media/$name.y4m"
	fi
done
# A sharp black-and-white checkerboard (16-pixel squares) at 640×480 and 30 fps: the camera of the
# background-effects test and benchmark, whose blur shows as lost high-frequency energy.
if [[ ! -s "$media/checkerboard.y4m" ]]; then
	ffmpeg -nostdin -loglevel error -y -f lavfi \
		-i "nullsrc=s=640x480:r=30,geq=lum='if(mod(floor(X/16)+floor(Y/16)\,2)\,235\,16)':cb=128:cr=128" \
		-t 2 -pix_fmt yuv420p "$media/checkerboard.tmp.y4m"
	mv "$media/checkerboard.tmp.y4m" "$media/checkerboard.y4m"
fi
# A solid green picture to upload as a background image.
if [[ ! -s "$media/green.png" ]]; then
	ffmpeg -nostdin -loglevel error -y -f lavfi -i "color=c=0x00FF00:s=320x180" -frames:v 1 \
		"$media/green.tmp.png"
	mv "$media/green.tmp.png" "$media/green.png"
fi
for hz in 440 660 880 1100; do
	if [[ ! -s "$media/tone-$hz.wav" ]]; then
		ffmpeg -nostdin -loglevel error -y -f lavfi -i "sine=frequency=$hz:sample_rate=48000" \
			-t "$seconds" -ac 1 -c:a pcm_s16le "$media/tone-$hz.tmp.wav"
		mv "$media/tone-$hz.tmp.wav" "$media/tone-$hz.wav"
	fi
done
if [[ ! -s "$media/silent.wav" ]]; then
	ffmpeg -nostdin -loglevel error -y -f lavfi -i "anullsrc=r=48000:cl=mono" \
		-t "$seconds" -ac 1 -c:a pcm_s16le "$media/silent.tmp.wav"
	mv "$media/silent.tmp.wav" "$media/silent.wav"
fi

case "${1:-}" in
bench:join | bench:mesh | bench:history | bench:files | bench:record | bench:effects)
	script="tests/bench/${1#bench:}.mjs"
	shift
	if [[ ! -f "$script" ]]; then
		echo "e2e.sh: $script does not exist yet" >&2
		exit 1
	fi
	cmd=(node "$script" "$@")
	;;
*)
	cmd=("$root/node_modules/.bin/playwright" test "$@")
	;;
esac

# As root, Chromium gives its audio threads real-time priority and its display threads nice -8,
# which no browser run by an ordinary user gets. On a loaded 2-core machine those threads then
# starve every page's main thread, where WebRTC signalling and the app run. Dropping CAP_SYS_NICE
# runs the browsers as a desktop user's would.
if [[ "$(id -u)" -eq 0 ]] && command -v setpriv >/dev/null; then
	cmd=(setpriv --bounding-set -sys_nice --inh-caps -sys_nice -- "${cmd[@]}")
fi

if [[ "$(id -u)" -eq 0 ]] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
	# shellcheck disable=SC2016 # $@ expands inside the namespace's shell.
	exec unshare -n sh -c 'ip link set lo up && exec "$@"' sh "${cmd[@]}"
fi

echo "e2e.sh: WARNING: not root (or unshare -n is not permitted): running WITHOUT the loopback-only" >&2
echo "e2e.sh: network namespace. WebRTC may gather candidates on other interfaces." >&2
exec "${cmd[@]}"
