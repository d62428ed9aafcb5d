using { batchwire.interop as db } from '../db/schema';

// OData V4 at /odata/v4/interop/ and, through @cap-js-community/odata-v2-adapter (a CDS
// plugin, loaded because it is a dependency), OData V2 at /odata/v2/interop/.
@path: 'interop'
service InteropService {
  entity Customers as projection on db.Customers;
  entity Orders    as projection on db.Orders;
}
