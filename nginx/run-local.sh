#!/usr/bin/env bash
# Run nginx/nginx.conf on loopback, as the current user, in a throw-away prefix.
#
#   nginx/run-local.sh [options] render|test|start|run|stop
#
#   render   write PREFIX/nginx.conf (and logs/, temp/) and print its path
#   test     render, then `nginx -t` on it
#   start    render, test, start nginx in the background (pid in PREFIX/logs/nginx.pid)
#   run      render, test, run nginx in the foreground (daemon off; Ctrl-C stops it)
#   stop     stop the nginx started by `start` with the same --prefix
#
#   --port P          listen on 127.0.0.1:P instead of :80           (default 8080)
#   --upstream LIST   receivers: ports or host:port, comma-separated  (default 3000)
#   --prefix DIR      where config, logs and temp files go            (default /tmp/wxgate-nginx)
#   --workers N       worker_processes                                 (default 1)
#   --conf FILE       the config to render                             (default nginx/nginx.conf)
#   --paths-only      rewrite only pid/log/temp paths; keep listen and upstream as shipped
#                     (to `nginx -t` the production file without touching /var or /run)
#
# NGINX=/path/to/nginx overrides the binary. The access log is PREFIX/logs/access.log.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
port=8080
upstream=3000
prefix=/tmp/wxgate-nginx
workers=1
conf="$here/nginx.conf"
paths_only=0
cmd=""

die() { echo "run-local.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="${2:?--port needs a value}"; shift 2 ;;
    --upstream) upstream="${2:?--upstream needs a value}"; shift 2 ;;
    --prefix) prefix="${2:?--prefix needs a value}"; shift 2 ;;
    --workers) workers="${2:?--workers needs a value}"; shift 2 ;;
    --conf) conf="${2:?--conf needs a value}"; shift 2 ;;
    --paths-only) paths_only=1; shift ;;
    render|test|start|run|stop) cmd="$1"; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (try --help)" ;;
  esac
done
[ -n "$cmd" ] || die "say what to do: render, test, start, run or stop (try --help)"

find_nginx() {
  if [ -n "${NGINX:-}" ]; then echo "$NGINX"; return; fi
  for c in "$(command -v nginx 2>/dev/null || true)" /usr/sbin/nginx /usr/local/sbin/nginx /usr/local/nginx/sbin/nginx; do
    if [ -n "$c" ] && [ -x "$c" ]; then echo "$c"; return; fi
  done
  die "nginx not found: install it (apt-get install -y nginx) or set NGINX=/path/to/nginx"
}

servers=""
IFS=',' read -ra ups <<<"$upstream"
for u in "${ups[@]}"; do
  u="${u// /}"
  [ -n "$u" ] || continue
  case "$u" in *:*) addr="$u" ;; *) addr="127.0.0.1:$u" ;; esac
  servers+="        server $addr max_fails=3 fail_timeout=10s;"$'\n'
done

render() {
  [ -f "$conf" ] || die "no config at $conf"
  mkdir -p "$prefix/logs" "$prefix/temp"
  # Workers of a root master run as nobody: let them reach the prefix.
  chmod 755 "$prefix" "$prefix/logs" "$prefix/temp"
  SERVERS="$servers" awk \
    -v prefix="$prefix" -v port="$port" -v workers="$workers" -v paths_only="$paths_only" '
    BEGIN { servers = ENVIRON["SERVERS"] }
    # Inside `upstream wxgate_receivers { ... }`: drop the shipped servers, add ours.
    /^[[:space:]]*upstream[[:space:]]+wxgate_receivers[[:space:]]*\{/ {
      print; if (!paths_only) { printf "%s", servers; in_up = 1 }; next
    }
    in_up && /^[[:space:]]*\}/ { in_up = 0 }
    in_up && /^[[:space:]]*server[[:space:]]/ { next }
    /^[[:space:]]*listen[[:space:]]+80;/ && !paths_only {
      sub(/listen[[:space:]]+80;/, "listen 127.0.0.1:" port ";"); print; next
    }
    /^[[:space:]]*worker_processes[[:space:]]/ && !paths_only {
      sub(/worker_processes[[:space:]]+[^;]+;/, "worker_processes " workers ";"); print; next
    }
    /^[[:space:]]*pid[[:space:]]/ { sub(/pid[[:space:]]+[^;]+;/, "pid " prefix "/logs/nginx.pid;"); print; next }
    /^[[:space:]]*error_log[[:space:]]/ {
      sub(/error_log[[:space:]]+[^[:space:];]+/, "error_log " prefix "/logs/error.log"); print; next
    }
    /^[[:space:]]*access_log[[:space:]]+\// {
      sub(/access_log[[:space:]]+[^[:space:];]+/, "access_log " prefix "/logs/access.log"); print; next
    }
    # Temp paths inside the prefix (the compiled-in ones under /var need root).
    /^http[[:space:]]*\{/ {
      print
      split("client_body proxy fastcgi uwsgi scgi", kinds, " ")
      for (i = 1; i <= 5; i++) printf "    %s_temp_path %s/temp/%s;\n", kinds[i], prefix, kinds[i]
      next
    }
    { print }
  ' "$conf" >"$prefix/nginx.conf"
  echo "$prefix/nginx.conf"
}

nginx_in_prefix() {
  "$(find_nginx)" -p "$prefix" -e "$prefix/logs/error.log" -c "$prefix/nginx.conf" "$@"
}

case "$cmd" in
  render) render ;;
  test) render >/dev/null; nginx_in_prefix -t ;;
  start)
    render >/dev/null
    nginx_in_prefix -t -q
    nginx_in_prefix
    echo "nginx on 127.0.0.1:$port -> $upstream; access log $prefix/logs/access.log"
    ;;
  run)
    render >/dev/null
    nginx_in_prefix -t -q
    exec "$(find_nginx)" -p "$prefix" -e "$prefix/logs/error.log" -c "$prefix/nginx.conf" -g 'daemon off;'
    ;;
  stop)
    [ -f "$prefix/logs/nginx.pid" ] || die "no $prefix/logs/nginx.pid: nothing started with --prefix $prefix"
    nginx_in_prefix -s quit
    ;;
esac
