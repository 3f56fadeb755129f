// libpng's C API (Debian: libpng-dev).
#include <png.h>
