package io.flowguard.sql;

import java.io.Serializable;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

/**
 * Reads one numeric INPUT column of the row that {@code ML_PREDICT} hands to the function.
 *
 * <p>Flink 2.3 checks that a DESCRIPTOR column can be implicitly cast to its INPUT column's type but
 * does not cast it: an INT table column arrives as an {@code Integer} where INPUT says DOUBLE. So the
 * value is read by what it is (any boxed number or decimal), and by the declared type only when the
 * row is not the generic row that {@code PredictFunction.eval} builds.
 */
record FeatureReader(LogicalTypeRoot root, int precision, int scale) implements Serializable {

  /** The reader for a numeric SQL type, or null for a type that is not numeric. */
  static FeatureReader of(LogicalType type) {
    LogicalTypeRoot root = type.getTypeRoot();
    switch (root) {
      case TINYINT:
      case SMALLINT:
      case INTEGER:
      case BIGINT:
      case FLOAT:
      case DOUBLE:
        return new FeatureReader(root, 0, 0);
      case DECIMAL:
        DecimalType d = (DecimalType) type;
        return new FeatureReader(root, d.getPrecision(), d.getScale());
      default:
        return null;
    }
  }

  /** The value at {@code pos} as a double; the caller has checked it is not NULL. */
  double read(RowData row, int pos) {
    if (row instanceof GenericRowData) {
      Object value = ((GenericRowData) row).getField(pos);
      if (value instanceof Double) {
        return (Double) value;
      }
      if (value instanceof Number) {
        return ((Number) value).doubleValue();
      }
      if (value instanceof DecimalData) {
        return ((DecimalData) value).toBigDecimal().doubleValue();
      }
    }
    switch (root) {
      case TINYINT:
        return row.getByte(pos);
      case SMALLINT:
        return row.getShort(pos);
      case INTEGER:
        return row.getInt(pos);
      case BIGINT:
        return row.getLong(pos);
      case FLOAT:
        return row.getFloat(pos);
      case DOUBLE:
        return row.getDouble(pos);
      case DECIMAL:
        DecimalData value = row.getDecimal(pos, precision, scale);
        return value.toBigDecimal().doubleValue();
      default:
        throw new IllegalStateException("not a numeric type: " + root);
    }
  }
}
