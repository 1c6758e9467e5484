int vigil_baseline_placeholder(void);
