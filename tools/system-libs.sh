#!/bin/sh
# Make sure the system has what Python and Qt need, on Debian/Ubuntu.
#   tools/system-libs.sh venv       python3 can create a virtual environment
#   tools/system-libs.sh offscreen  Qt can render offscreen (tests, --selftest)
#   tools/system-libs.sh gui        Qt can open a window on X11 (make run)
# Missing pieces are installed with apt-get when running as root, otherwise the
# command to run is printed. Idempotent and quick when nothing is missing.
# CSDESK_SYSLIBS_DRY_RUN=1 only prints what it would install.
set -eu

mode=${1:-offscreen}
[ "$(uname -s)" = Linux ] || exit 0  # macOS and Windows wheels bring what they need
python=${PYTHON:-python3}
venv=${VENV:-.venv}
packages=""

# Shared-library name -> Debian package.
package_of() {
    case "$1" in
        libGL.so.1) echo libgl1 ;;
        libEGL.so.1) echo libegl1 ;;
        libGLX.so.0) echo libglx0 ;;
        libOpenGL.so.0) echo libopengl0 ;;
        libGLdispatch.so.0) echo libglvnd0 ;;
        libxkbcommon.so.0) echo libxkbcommon0 ;;
        libxkbcommon-x11.so.0) echo libxkbcommon-x11-0 ;;
        libfontconfig.so.1) echo libfontconfig1 ;;
        libfreetype.so.6) echo libfreetype6 ;;
        libglib-2.0.so.0 | libgthread-2.0.so.0 | libgobject-2.0.so.0) echo libglib2.0-0 ;;
        libdbus-1.so.3) echo libdbus-1-3 ;;
        libX11.so.6) echo libx11-6 ;;
        libX11-xcb.so.1) echo libx11-xcb1 ;;
        libXau.so.6) echo libxau6 ;;
        libXdmcp.so.6) echo libxdmcp6 ;;
        libxcb.so.1) echo libxcb1 ;;
        libxcb-cursor.so.0) echo libxcb-cursor0 ;;
        libxcb-icccm.so.4) echo libxcb-icccm4 ;;
        libxcb-keysyms.so.1) echo libxcb-keysyms1 ;;
        libxcb-image.so.0) echo libxcb-image0 ;;
        libxcb-render-util.so.0) echo libxcb-render-util0 ;;
        libxcb-util.so.1) echo libxcb-util1 ;;
        libxcb-*.so.*) echo "$1" | sed -e 's/\.so\.\([0-9]*\)$/\1/' -e 's/^libxcb-\(.*\)/libxcb-\1/' ;;
        libpng16.so.16) echo libpng16-16 ;;
        libz.so.1) echo zlib1g ;;
        libzstd.so.1) echo libzstd1 ;;
        libexpat.so.1) echo libexpat1 ;;
        libbrotlidec.so.1 | libbrotlicommon.so.1) echo libbrotli1 ;;
        libpcre2-8.so.0) echo libpcre2-8-0 ;;
        libstdc++.so.6) echo libstdc++6 ;;
        libgcc_s.so.1) echo libgcc-s1 ;;
        *) echo "" ;;
    esac
}

want() {
    case " $packages " in *" $1 "*) ;; *) packages="$packages $1" ;; esac
}

check_libraries() {
    qt=$("$venv/bin/python" -c 'import pathlib, PySide6; print(pathlib.Path(PySide6.__file__).parent / "Qt")' 2>/dev/null) || return 0
    files="$qt/lib/libQt6Core.so.6 $qt/lib/libQt6Gui.so.6 $qt/lib/libQt6Widgets.so.6 $qt/plugins/platforms/libqoffscreen.so"
    [ "$mode" = gui ] && files="$files $qt/plugins/platforms/libqxcb.so"
    missing=$(for f in $files; do [ -e "$f" ] && ldd "$f" 2>/dev/null; done | awk '/not found/ {print $1}' | sort -u)
    for lib in $missing; do
        pkg=$(package_of "$lib")
        if [ -n "$pkg" ]; then want "$pkg"; else echo "system-libs: no package known for $lib" >&2; fi
    done
    # Offscreen rendering still needs at least one font, or Qt warns on every text.
    fonts=$(find /usr/share/fonts /usr/local/share/fonts "$HOME/.fonts" "$HOME/.local/share/fonts" \
        \( -name '*.ttf' -o -name '*.otf' -o -name '*.ttc' \) 2>/dev/null | head -n 1)
    [ -n "$fonts" ] || want fonts-dejavu-core
}

case "$mode" in
    venv)
        if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
            version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
            want "python$version-venv"
        fi
        ;;
    offscreen | gui) check_libraries ;;
    *) echo "usage: $0 venv|offscreen|gui" >&2; exit 2 ;;
esac

[ -z "$packages" ] && exit 0
command="apt-get install -y --no-install-recommends$packages"
if [ "${CSDESK_SYSLIBS_DRY_RUN:-}" = 1 ]; then
    echo "system-libs: would run: $command"
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "system-libs: installing$packages"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $command -qq
else
    echo "system-libs: missing system packages:$packages" >&2
    echo "system-libs: install them with: sudo $command" >&2
    exit 1
fi
