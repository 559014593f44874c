# Reference values of sql/fits_linreg.sql and sql/fits_logreg.sql from R's lm and glm on the
# mtcars data set (Motor Trend, 1974; R's datasets package):
#
#     Rscript test/reference/fits_mtcars.R
#
# prints coefficients (term, coef, std_err, statistic, p) and fit statistics as SQL VALUES
# lists with 17 significant digits.  R's glm stops at |dev - dev_old| / (|dev| + 0.1) < 1e-8
# and computes standard errors at the weights of its last iteration, so its standard errors
# differ from a fit converged to 1e-10 by about 1e-7 relative; the test compares them to
# 1e-6 (coefficients, deviances and log-likelihood agree far closer).
options(digits = 17)
fmt <- function(v) paste(formatC(v, digits = 17, format = "g"), collapse = ", ")
coefs <- function(name, s) {
  cat("--", name, "\n")
  cf <- coef(s)
  rows <- sapply(seq_len(nrow(cf)), function(i) sprintf("    (%d, %s)", i - 1, fmt(cf[i, ])))
  cat(paste(rows, collapse = ",\n"), "\n")
}

f <- lm(mpg ~ wt + hp, data = mtcars)
s <- summary(f)
coefs("lm(mpg ~ wt + hp): coef, se, t, p", s)
cat("-- r2, adj_r2, F, F p, sigma, logLik, AIC (R counts sigma: statsmodels' aic = this - 2), BIC - log(n)\n")
cat("   ", fmt(c(s$r.squared, s$adj.r.squared, s$fstatistic[1],
             pf(s$fstatistic[1], s$fstatistic[2], s$fstatistic[3], lower.tail = FALSE),
             s$sigma, logLik(f), AIC(f), BIC(f))), "\n")
cat("-- predict(wt = 3, hp = 150):", fmt(predict(f, data.frame(wt = 3, hp = 150))), "\n")
ci <- confint(f, level = 0.9)
cat("-- confint(level = 0.9):\n", paste(sprintf("    (%d, %s)", 0:2, apply(ci, 1, fmt)), collapse = ",\n"), "\n")

g <- glm(am ~ hp + wt, data = mtcars, family = binomial)
coefs("glm(am ~ hp + wt, binomial): coef, se, z, p", summary(g))
cat("-- logLik, null deviance, deviance, AIC, BIC, iterations\n")
cat("   ", fmt(c(logLik(g), g$null.deviance, g$deviance, AIC(g), BIC(g), g$iter)), "\n")
cat("-- predict(hp = 150, wt = 3, type = response):",
    fmt(predict(g, data.frame(hp = 150, wt = 3), type = "response")), "\n")
