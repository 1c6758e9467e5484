#include "CVigilBaseline.h"
int vigil_baseline_placeholder(void) { return 0; }
