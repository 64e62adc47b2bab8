# Sourced by bin/* and .ci/run: exports JAVA_HOME pointing at a JDK 25 or newer, or exits with a message.
# Order: $JAVA_HOME if it is 25+, then the Temurin 25 installed beside the system JDK, then `java` on PATH.
mod4j_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
mod4j_pick_java() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 \
                   "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    major=$(mod4j_java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  echo "mod4j: Java 25 is required, but none was found (JAVA_HOME='${JAVA_HOME:-}', java on PATH is $(java -version 2>&1 | head -n 1))." >&2
  echo "mod4j: install a JDK 25 (e.g. Temurin 25) and set JAVA_HOME to it." >&2
  exit 1
}
mod4j_pick_java
